"""Who is told what about an offer, through the outbox, in the transaction of the change.

Recipients (each group member who hasn't left) get an email for every status change the
provider or the system makes and for every provider message, with their personal link (put
in at delivery, never stored) and the link that stops non-essential updates of this offer
(the personal link's /updates/ page: derived from the member's nonce like it, never stored). An email is written in the same transaction as the event or message it reports, and
only there: a change made once is told once, a refused or rolled-back change tells nothing.

The provider's contact address is told when a recipient acts or writes: at once, or in a
daily digest (ProviderProfile.notify; `offers_provider_digest` runs in beat).

A member's email is written in their language when it is known (OfferMember.language, from the
browser that opened their page or joined through the link), else in the active one: so its
subject and headline may be given as callables, called under that language.
"""

import contextlib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_lazy, ngettext

from core.services import outbound_email_queue
from core.tokens import PLACEHOLDER, secret_link_ref

from .models import Message, Offer, OfferEvent, OfferMember, ProviderProfile
from .transitions import FINAL, Party, Status, transitions_from

# The kind of secret link (core.tokens) a member's email carries: "offer-member:<pk>".
MEMBER_LINK = "offer-member"
DIGEST_EVERY = timedelta(days=1)

# What a recipient is told of a change, by its new status ("{provider}" and "{value}" filled in).
UPDATE_TEXT = {
    Status.OFFERED: gettext_lazy("{provider} sent you this offer again."),
    Status.NEEDS_INFO: gettext_lazy("{provider} needs more information from you."),
    Status.APPROVED: gettext_lazy("{provider} approved your offer of {value}: you can claim it now."),
    Status.PARTIAL_GRANTED: gettext_lazy("{provider} granted {value}: accept it, counter or reject it."),
    Status.APPROVED_CONFIRMED: gettext_lazy("{provider} confirmed the approval of {value}."),
    Status.CLAIMED: gettext_lazy("{provider} confirmed your claim."),
    Status.REQUIRES_REVISION: gettext_lazy("{provider} asks you to revise and resubmit your claim."),
    Status.COMPLETED: gettext_lazy("{provider} has fulfilled your offer of {value}."),
    Status.ACKNOWLEDGED: gettext_lazy("Your acknowledgement was recorded."),
    Status.REJECTED: gettext_lazy("{provider} declined this offer."),
    Status.CANCELLED: gettext_lazy("{provider} cancelled this offer."),
    Status.EXPIRED: gettext_lazy("This offer has expired."),
    Status.NO_RESPONSE: gettext_lazy("We heard nothing from you, so this offer now counts as no response."),
}
OTHER_UPDATE = gettext_lazy("The offer is now {status}.")


def in_language(language: str | None):
    """Write under the recipient's language when known, else under the active one."""
    return translation.override(language) if language else contextlib.nullcontext()


def _text(value) -> str:
    return value() if callable(value) else str(value)


def essential(status: str) -> bool:
    """Needs the recipient's answer, or ends the offer: sent even to members who stopped updates."""
    return bool(transitions_from(status, Party.RECIPIENT)) or status in FINAL or status == Status.NO_RESPONSE


def provider_name(organization) -> str:
    """The name recipients see: the provider profile's display name (else the organization's)."""
    profile = ProviderProfile.objects.for_org(organization).first()
    return profile.display_name if profile else organization.name


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def _members(offer: Offer, *, exclude: OfferMember | None = None, only: OfferMember | None = None):
    if only is not None:
        return [only]
    members = OfferMember.objects.filter(offer=offer).exclude(status=OfferMember.Status.DECLINED)
    return [m for m in members if exclude is None or m.pk != exclude.pk]


def email_member(offer: Offer, member: OfferMember, *, purpose: str, subject: str, template: str, **context) -> None:
    """One email to one member, with their personal link (put in at delivery), in their
    language; `subject` and `headline` may be callables, called under it."""
    name = provider_name(offer.organization)
    with in_language(member.language):
        if "headline" in context:
            context["headline"] = _text(context["headline"])
        context = {
            # The personal link is put in at delivery; its /updates/ page stops non-essential updates.
            "offer": offer, "member": member, "provider": name, "url": PLACEHOLDER, "unsubscribe_url": PLACEHOLDER + "updates/",
            **context,
        }
        outbound_email_queue(
            organization=offer.organization, purpose=purpose, reference=f"offer:{offer.pk}",
            secret_link=secret_link_ref(MEMBER_LINK, member.pk), to_email=member.email, to_name=member.name,
            from_name=name, subject=_text(subject),
            text_body=render_to_string(f"offers/email/{template}.txt", context),
            html_body=render_to_string(f"offers/email/{template}.html", context),
        )


def tell_members(offer: Offer, *, headline, note: str = "", essential_update: bool, actor_member=None,
                 only: OfferMember | None = None, purpose: str = "offer_update") -> int:
    """Email each member (but the one who acted) what happened, each in their language
    (`headline`: a string, or a callable writing it in the active language); returns how many
    were written."""
    told = 0
    for member in _members(offer, exclude=actor_member, only=only):
        if member.updates_unsubscribed_at and not essential_update:
            continue
        email_member(
            offer, member, purpose=purpose, template="update", headline=headline, note=note,
            subject=lambda: _("Offer #%(number)s: %(headline)s") % {"number": offer.pk, "headline": _text(headline)},
            essential=essential_update,
        )
        told += 1
    return told


def after_event(offer: Offer, event: OfferEvent, *, member: OfferMember | None) -> None:
    """Tell whoever a status change concerns: the recipients of a provider's or the system's
    change (their group's other members of a recipient's), the provider of a recipient's."""
    if event.to_status == Status.OFFERED and event.from_status == Status.DRAFT:
        return  # the offer email itself (or, for a link, nobody yet)
    if event.to_status == Status.OFFERED and offer.delivery == Offer.Delivery.EMAIL:
        return  # offered again: the new link's email says it
    label = Status(event.to_status).label
    if event.actor_kind == Party.RECIPIENT:
        if offer.is_group:  # members don't read each other's notes, only what the group's status became
            def news():
                if event.to_status == Status.COUNTER:
                    return _("%(name)s proposed %(value)s for your group.") % {"name": event.actor_label, "value": offer.proposed_display}
                return _("%(name)s moved your group's offer to %(status)s.") % {"name": event.actor_label, "status": label}
            tell_members(offer, headline=news, essential_update=essential(event.to_status), actor_member=member)
        notify_provider(offer, subject=_("Offer #%(number)s: %(name)s → %(status)s") % {
                            "number": offer.pk, "name": event.actor_label, "status": label},
                        text=(_("Offer #%(number)s went from %(before)s to %(after)s.") % {
                            "number": offer.pk, "before": Status(event.from_status).label, "after": label}
                            + f"\n\n{event.note}").strip(), purpose="offer_recipient_action")
        return
    text = UPDATE_TEXT.get(event.to_status, OTHER_UPDATE)
    provider = provider_name(offer.organization)
    tell_members(
        offer, headline=lambda: str(text).format(provider=provider, value=offer.value_display, status=label),
        note=event.note, essential_update=essential(event.to_status),
    )


def after_message(offer: Offer, message: Message) -> None:
    if message.sender_kind == Party.RECIPIENT:
        notify_provider(offer, subject=_("Offer #%(number)s: new message from %(name)s") % {
                            "number": offer.pk, "name": message.sender_label},
                        text=message.body, purpose="offer_message")
        return
    name = provider_name(offer.organization)
    tell_members(offer, headline=lambda: _("A message from %(name)s") % {"name": name}, note=message.body, essential_update=True,
                 only=message.thread_member, purpose="offer_message_to_recipient")


def notify_provider(offer: Offer, *, subject: str, text: str, purpose: str) -> None:
    """An email to the provider's contact address, unless they take a daily digest."""
    profile = ProviderProfile.objects.for_org(offer.organization).first()
    if profile is None or profile.notify == ProviderProfile.Notify.DIGEST:
        return
    url = absolute(reverse("offers:detail", args=[offer.pk]))
    outbound_email_queue(
        organization=offer.organization, purpose=purpose, reference=f"offer:{offer.pk}",
        to_email=profile.contact_email, to_name=profile.display_name, subject=subject,
        text_body=_("%(text)s\n\nOpen the offer: %(url)s\n") % {"text": text, "url": url},
    )


@transaction.atomic
def provider_digest(profile: ProviderProfile, *, now=None) -> bool:
    """One email of what recipients did since the last digest; moves the window forward.

    The profile row is locked, so two beat runs send one digest; returns whether one was sent.
    """
    now = now or timezone.now()
    profile = ProviderProfile.objects.select_for_update().get(pk=profile.pk)
    if profile.notify != ProviderProfile.Notify.DIGEST:
        return False
    since = profile.digest_sent_at or profile.created_at
    if now - since < DIGEST_EVERY:
        return False
    window = {"organization": profile.organization, "created_at__gt": since, "created_at__lte": now}
    events = OfferEvent.objects.filter(actor_kind=Party.RECIPIENT, **window).order_by("created_at", "pk")
    messages = Message.objects.filter(sender_kind=Party.RECIPIENT, **window).order_by("created_at", "pk")
    lines = [_("%(when)s offer #%(number)s: %(name)s → %(status)s") % {
                 "when": f"{e.created_at:%Y-%m-%d %H:%M}", "number": e.offer_id, "name": e.actor_label,
                 "status": e.get_to_status_display()}
             + (f" ({e.note})" if e.note else "") for e in events]
    lines += [_("%(when)s offer #%(number)s: message from %(name)s: %(text)s") % {
                  "when": f"{m.created_at:%Y-%m-%d %H:%M}", "number": m.offer_id, "name": m.sender_label, "text": m.body[:200]}
              for m in messages]
    ProviderProfile.objects.filter(pk=profile.pk).update(digest_sent_at=now)
    if not lines:
        return False
    lines.sort()
    outbound_email_queue(
        organization=profile.organization, purpose="offer_provider_digest", reference=f"provider:{profile.pk}",
        to_email=profile.contact_email, to_name=profile.display_name,
        subject=ngettext("Your offers: %(count)s update from recipients", "Your offers: %(count)s updates from recipients",
                         len(lines)) % {"count": len(lines)},
        text_body=_("What recipients did since the last digest:") + "\n\n" + "\n".join(lines)
                  + "\n\n" + _("My Offers: %(url)s") % {"url": absolute(reverse("offers:list"))} + "\n",
    )
    return True


def provider_digests(*, now=None) -> int:
    profiles = ProviderProfile.objects.filter(notify=ProviderProfile.Notify.DIGEST).order_by("pk")
    return sum(provider_digest(profile, now=now) for profile in profiles)
