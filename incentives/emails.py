"""The thank-you and reminder emails, in HTML and plain text, from templates.

Each email is rendered in its recipient's language when it is known (Participant.language, from
an import column or the browser that opened the claim page), else in the active language (the
sender's; the default language in a worker).

Researchers' and participants' words are untrusted: the HTML templates escape them
(autoescape stays on), the text templates don't need to.
"""

import contextlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _, gettext_lazy

from core.money import Money

from .models import Incentive
from .tokens import claim_token

DEFAULT_SUBJECT = gettext_lazy("Thank you for taking part in {study}")
DEFAULT_MESSAGE = gettext_lazy(
    "Hi {name},\n\nThank you for taking part in {study}. Your time and honest answers help us "
    "a lot. As a thank-you, here is your incentive."
)


def in_language(language: str | None):
    """Render under the recipient's language when known, else under the active one."""
    return translation.override(language) if language else contextlib.nullcontext()


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
    return str(DEFAULT_SUBJECT).format(study=study.name), str(DEFAULT_MESSAGE).format(name=participant_name, study=study.name)


def render_claim_email(
    *, organization, participant_name: str, amount: Money, subject: str, message: str, url: str, reminder: bool = False,
    language: str | None = None,
) -> RenderedEmail:
    with in_language(language):
        return _render_claim_email(
            organization=organization, participant_name=participant_name, amount=amount, subject=subject,
            message=message, url=url, reminder=reminder,
        )


def _render_claim_email(*, organization, participant_name, amount, subject, message, url, reminder) -> RenderedEmail:
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
        subject = _("Reminder: %(subject)s") % {"subject": subject}
    return RenderedEmail(
        subject=subject,
        text_body=render_to_string("incentives/email/claim.txt", context),
        html_body=render_to_string("incentives/email/claim.html", context),
    )


def render_payout_returned_email(*, incentive: Incentive, reason: str, url: str) -> RenderedEmail:
    """Asks the participant to correct the details of a payout the bank returned."""
    with in_language(incentive.participant.language):
        context = {
            "organization": incentive.organization, "name": incentive.participant.name, "amount": incentive.amount,
            "destination": incentive.payout_destination, "reason": reason, "claim_url": url,
        }
        return RenderedEmail(
            subject=_("Please check your payout details for %(amount)s from %(organization)s")
            % {"amount": incentive.amount, "organization": incentive.organization.name},
            text_body=render_to_string("incentives/email/payout_returned.txt", context),
            html_body=render_to_string("incentives/email/payout_returned.html", context),
        )


def render_claim_emails(
    *, organization, participant_names: list[str], amount: Money, subject: str, message: str, url: str, reminder: bool = False,
    languages: list[str | None] | None = None,
) -> list[RenderedEmail]:
    """render_claim_email for many participants of one send (`languages`: each one's, if
    known): the templates are rendered once per language, with a marker where the name goes,
    and each name put in (escaped in the HTML, as the template escapes it). A name the HTML's
    line breaks would change (it holds CR or LF) is rendered on its own."""
    marker = f"name{secrets.token_hex(8)}"
    args = {"organization": organization, "amount": amount, "subject": subject, "message": message, "url": url, "reminder": reminder}
    shared = {}
    emails = []
    for name, language in zip(participant_names, languages or [None] * len(participant_names)):
        if "\n" in name or "\r" in name:
            emails.append(render_claim_email(participant_name=name, language=language, **args))
            continue
        if language not in shared:
            shared[language] = render_claim_email(participant_name=marker, language=language, **args)
        email = shared[language]
        emails.append(RenderedEmail(email.subject, email.text_body.replace(marker, name), email.html_body.replace(marker, escape(name))))
    return emails
