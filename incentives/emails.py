"""The thank-you and reminder emails, in HTML and plain text, from templates.

Researchers' and participants' words are untrusted: the HTML templates escape them
(autoescape stays on), the text templates don't need to.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from core.money import Money

from .models import Incentive
from .tokens import claim_token

DEFAULT_SUBJECT = "Thank you for taking part in {study}"
DEFAULT_MESSAGE = (
    "Hi {name},\n\nThank you for taking part in {study}. Your time and honest answers help us "
    "a lot. As a thank-you, here is your incentive."
)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text_body: str
    html_body: str


# The kind of secret link (core.tokens) a claim email carries: "incentive-claim:<pk>".
CLAIM_LINK = "incentive-claim"


def claim_url(token: str) -> str:
    return settings.SITE_URL + reverse("incentives:claim", args=[token])


def incentive_claim_url(pk: int) -> str:
    """The incentive's claim link, derived from its nonce (the outbox resolves it at delivery)."""
    return claim_url(claim_token(Incentive.objects.values_list("token_nonce", flat=True).get(pk=pk)))


def default_message(*, study, participant_name: str = "{name}") -> tuple[str, str]:
    """The subject and body a send starts with; {name} is replaced by each participant's name."""
    return DEFAULT_SUBJECT.format(study=study.name), DEFAULT_MESSAGE.format(name=participant_name, study=study.name)


def render_claim_email(*, organization, participant_name: str, amount: Money, subject: str, message: str, url: str, reminder: bool = False) -> RenderedEmail:
    context = {
        "organization": organization,
        "name": participant_name,
        "amount": amount,
        # The researcher writes "{name}" where each participant's name goes.
        "message": message.replace("{name}", participant_name),
        "claim_url": url,
        "reminder": reminder,
    }
    if reminder:
        subject = f"Reminder: {subject}"
    return RenderedEmail(
        subject=subject,
        text_body=render_to_string("incentives/email/claim.txt", context),
        html_body=render_to_string("incentives/email/claim.html", context),
    )


def render_payout_returned_email(*, incentive: Incentive, reason: str, url: str) -> RenderedEmail:
    """Asks the participant to correct the details of a payout the bank returned."""
    context = {
        "organization": incentive.organization, "name": incentive.participant.name, "amount": incentive.amount,
        "destination": incentive.payout_destination, "reason": reason, "claim_url": url,
    }
    return RenderedEmail(
        subject=f"Please check your payout details for {incentive.amount} from {incentive.organization.name}",
        text_body=render_to_string("incentives/email/payout_returned.txt", context),
        html_body=render_to_string("incentives/email/payout_returned.html", context),
    )


def render_claim_emails(*, organization, participant_names: list[str], amount: Money, subject: str, message: str, url: str, reminder: bool = False) -> list[RenderedEmail]:
    """render_claim_email for many participants of one send: the templates are rendered once,
    with a marker where the name goes, and each name put in (escaped in the HTML, as the
    template escapes it). A name the HTML's line breaks would change (it holds CR or LF) is
    rendered on its own."""
    marker = f"name{secrets.token_hex(8)}"
    shared = render_claim_email(organization=organization, participant_name=marker, amount=amount, subject=subject, message=message, url=url, reminder=reminder)
    emails = []
    for name in participant_names:
        if "\n" in name or "\r" in name:
            emails.append(render_claim_email(organization=organization, participant_name=name, amount=amount, subject=subject, message=message, url=url, reminder=reminder))
        else:
            emails.append(RenderedEmail(shared.subject, shared.text_body.replace(marker, name), shared.html_body.replace(marker, escape(name))))
    return emails
