"""Every change to provider offers. Views and tasks call these; they own the transaction."""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _, pgettext

from approvals.models import Approval
from approvals.services import approval_request, requires_approval
from core.db import retry_on_conflict
from core.errors import DomainError
from core.money import Money
from core.tokens import derive_token, new_nonce, plausible, token_hash
from webhooks.events import emit
from webhooks.payloads import offer_data, offer_message_data

from . import notifications
from .models import (
    MESSAGE_LIMIT, value_text, LINK_PURPOSE, MEMBER_PURPOSE, WIDGET_PURPOSE, Distribution, IncentiveProgram, LinkTemplate, Message, Offer, OfferEvent,
    OfferMember, ProviderProfile,
)
from .transitions import AWAITING_RECIPIENT, EXPIRABLE, TERMS_CHANGING, Party, Status, TransitionNotAllowed, check_transition

# Distributions record what was actually given, so only after the claim is confirmed.
DISTRIBUTABLE = frozenset({Status.CLAIMED, Status.COMPLETED, Status.ACKNOWLEDGED})
# The provider's grants: above the organization's approval threshold they wait (approvals).
GRANTS = frozenset({Status.APPROVED, Status.PARTIAL_GRANTED})
# A member's claim after the offer was claimed by another member of its group.
GROUP_CLAIMABLE = frozenset({Status.PRE_CLAIMED, Status.CLAIMED, Status.REQUIRES_REVISION})


class OfferError(DomainError):
    """A refused change other than a status transition (full group, wrong currency, ...)."""

    code = "offer_error"


def new_secret(purpose: str) -> tuple[str, str]:
    """A fresh (nonce, token hash) pair for a token of `purpose`; the token itself is not kept."""
    nonce = new_nonce()
    return nonce, token_hash(derive_token(purpose, nonce))


MEMBER_LINK = notifications.MEMBER_LINK


def member_url(pk: int) -> str:
    """A member's personal link, derived from their nonce (the outbox resolves it at delivery)."""
    return absolute(reverse("offers:recipient", args=[OfferMember.objects.get(pk=pk).token]))


absolute = notifications.absolute


# --- Provider setup ---------------------------------------------------------------------


@transaction.atomic
def provider_profile_save(*, organization, **fields) -> ProviderProfile:
    profile, _created = ProviderProfile.objects.update_or_create(organization=organization, defaults=fields)
    return profile


def _assign_and_save(instance, fields: dict):
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.save()
    return instance


@transaction.atomic
def program_save(*, organization, program: IncentiveProgram | None = None, **fields) -> IncentiveProgram:
    return _assign_and_save(program or IncentiveProgram(organization=organization), fields)


@transaction.atomic
def link_template_save(*, organization, template: LinkTemplate | None = None, **fields) -> LinkTemplate:
    if not fields.get("is_group", template.is_group if template else False):
        fields["max_members"] = 1
    return _assign_and_save(template or LinkTemplate(organization=organization), fields)


# --- Offers -----------------------------------------------------------------------------


def _terms_fields(value: Money | Decimal) -> dict:
    if isinstance(value, Money):
        return {"amount_minor": value.amount_minor, "currency": value.currency, "percent": None}
    return {"amount_minor": None, "percent": value}


def _check_message(text: str) -> None:
    if len(text or "") > MESSAGE_LIMIT:
        raise OfferError(_("An offer's message is at most %(limit)s characters; this one has %(length)s.") % {
            "limit": f"{MESSAGE_LIMIT:,}", "length": f"{len(text):,}"})


@transaction.atomic
def offer_create(*, organization, actor, value: Money | Decimal, send: bool, currency: str = "USD", **fields) -> Offer:
    """A new offer, saved as a draft or sent at once ("Send Incentive Offer")."""
    _check_message(fields.get("message", ""))
    if not fields.get("is_group"):
        fields["max_members"] = 1
    offer = Offer(
        organization=organization,
        created_by=actor,
        status=Status.DRAFT,
        last_activity_at=timezone.now(),
        **{**fields, "currency": currency, **_terms_fields(value)},
    )
    if offer.delivery == Offer.Delivery.LINK:
        offer.link_nonce, offer.link_hash = new_secret(LINK_PURPOSE)
    offer.save()
    OfferEvent.objects.create(
        organization=organization, offer=offer, actor_kind=Party.PROVIDER, actor=actor,
        actor_label=str(actor), from_status="", to_status=Status.DRAFT, note="Offer created.",
    )
    if send:
        offer = offer_transition(offer=offer, to_status=Status.OFFERED, actor_kind=Party.PROVIDER, actor=actor)
    return offer


@transaction.atomic
def offer_from_template(*, template: LinkTemplate, actor) -> Offer:
    """A shareable link made from a template, sent (open to visitors) at once."""
    return offer_create(
        organization=template.organization,
        actor=actor,
        value=template.value,
        currency=template.currency,
        send=True,
        program=template.program,
        link_template=template,
        incentive_type=template.incentive_type,
        delivery=Offer.Delivery.LINK,
        is_group=template.is_group,
        max_members=template.max_members,
        message=template.message,
        expires_on=timezone.localdate() + timedelta(days=template.expiry_days),
    )


EDITABLE = {Offer.Delivery.EMAIL: {Status.DRAFT}, Offer.Delivery.LINK: {Status.DRAFT, Status.OFFERED}}


def edit_refusal(offer: Offer) -> str:
    """Why this offer can't be edited, or "" if it can: a draft can; a shareable link until
    somebody joins it; an email offer once sent cannot (its recipient has it)."""
    if offer.status in EDITABLE[offer.delivery]:
        if offer.delivery == Offer.Delivery.LINK and offer.members_taken():
            return _("Someone has joined through this link already, so its terms can't be edited any more.")
        return ""
    if offer.delivery == Offer.Delivery.EMAIL and offer.status != Status.DRAFT:
        return _("This offer was sent to %(recipient)s and is %(status)s: only drafts of email offers can be edited. "
                 "Use its actions or messages instead.") % {"recipient": offer.recipient_display, "status": offer.get_status_display()}
    return _("This offer is %(status)s; it can't be edited any more.") % {"status": offer.get_status_display()}


@transaction.atomic
def offer_update(*, offer: Offer, actor, value: Money | Decimal, currency: str = "USD", **fields) -> Offer:
    """Change a draft, or a link offer nobody has answered yet (status Offered)."""
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    if refusal := edit_refusal(locked):
        raise OfferError(refusal)
    if fields.get("delivery", locked.delivery) != locked.delivery:
        raise OfferError(_("An offer's delivery can't be changed; cancel it and create a new one."))
    _check_message(fields.get("message", ""))
    if not fields.get("is_group"):
        fields["max_members"] = 1
    changes = {**fields, "currency": currency, **_terms_fields(value), "last_activity_at": timezone.now()}
    return _assign_and_save(locked, changes)


@transaction.atomic
def offer_extend_expiry(*, offer: Offer, actor, expires_on: date) -> Offer:
    """Give an open offer a later expiry date; the timeline says so and the recipients are told."""
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    if locked.status not in EXPIRABLE:
        raise OfferError(_("This offer is %(status)s; only an open offer's expiry can be extended.") % {"status": locked.get_status_display()})
    if expires_on <= max(locked.expires_on, timezone.localdate()):
        raise OfferError(_("Choose a date after %(date)s.") % {"date": date_format(max(locked.expires_on, timezone.localdate()), pgettext("long date", "F j, Y"))})
    Offer.objects.filter(pk=locked.pk).update(expires_on=expires_on, last_activity_at=timezone.now())
    locked.expires_on = expires_on
    note = f"Expiry extended to {expires_on:%B %-d, %Y}."
    OfferEvent.objects.create(
        organization=locked.organization, offer=locked, actor_kind=Party.PROVIDER, actor=actor, actor_label=str(actor),
        from_status=locked.status, to_status=locked.status, note=note,
    )
    provider = notifications.provider_name(locked.organization)
    notifications.tell_members(locked, headline=lambda: _("%(provider)s extended your offer: it now expires on %(date)s.") % {
        "provider": provider, "date": date_format(expires_on, pgettext("long date", "F j, Y"))}, essential_update=False)
    return locked


def no_response_on(offer: Offer) -> date | None:
    """When an offer waiting on the recipient will count as No Response (beat, hourly)."""
    if offer.status not in AWAITING_RECIPIENT:
        return None
    profile = ProviderProfile.objects.for_org(offer.organization).first()
    return timezone.localdate(offer.last_activity_at + timedelta(days=profile.no_response_after_days)) if profile else None


def _actor_label(actor_kind: str, actor, member: OfferMember | None) -> str:
    if member is not None:
        return member.name
    if actor is not None:
        return str(actor)
    with translation.override(None):  # stored with the event: in the default language
        return "System" if actor_kind == Party.SYSTEM else str(Party(actor_kind).label)


@retry_on_conflict
@transaction.atomic
def offer_update_and_send(*, offer: Offer, actor, **fields) -> Offer:
    """Save a draft's changes and send it, in one transaction: a refused send keeps the old
    draft as it was, rather than saving the edit and then failing."""
    offer = offer_update(offer=offer, actor=actor, **fields)
    if offer.status == Offer.Status.DRAFT:
        offer = offer_transition(offer=offer, to_status=Offer.Status.OFFERED, actor_kind=Party.PROVIDER, actor=actor)
    return offer


@retry_on_conflict
@transaction.atomic
def offer_transition(
    *,
    offer: Offer,
    to_status: str,
    actor_kind: str,
    actor=None,
    member: OfferMember | None = None,
    note: str = "",
    terms: Money | Decimal | None = None,
    acknowledgement_name: str = "",
    approved: Approval | None = None,
) -> Offer:
    """Move an offer along the declared table, or raise TransitionNotAllowed and change nothing.

    The update is conditional on the status read (`WHERE status = <from>`), so of two racing
    changes exactly one wins; the other is refused with the offer's new status. The event
    row and any email are written in the same transaction. A provider's grant above the
    approval threshold changes nothing yet: the returned offer's `awaiting_approval` is the
    Approval that will make it (`approved` is that Approval, when it does).
    """
    source = offer.status
    transition = check_transition(source, to_status, actor_kind)
    if member is not None and member.status == OfferMember.Status.DECLINED:
        raise TransitionNotAllowed(_("You have declined this offer; it takes no more answers from you."))
    if actor_kind == Party.RECIPIENT and offer.status in EXPIRABLE and offer.expires_on < timezone.localdate():
        raise TransitionNotAllowed(_("This offer expired on %(date)s.") % {"date": date_format(offer.expires_on, pgettext("long date", "F j, Y"))})
    changes = {"status": to_status, "last_activity_at": timezone.now()}
    changes.update(_side_changes(offer, to_status, terms, note, acknowledgement_name, member))
    if actor_kind == Party.PROVIDER and to_status in GRANTS:
        waiting = _grant_check(offer, to_status, terms, note, actor, approved)
        if waiting is not None:
            offer.awaiting_approval = waiting
            return offer
    updated = Offer.objects.filter(pk=offer.pk, status=source).update(**changes)
    if updated != 1:
        current = Offer.objects.filter(pk=offer.pk).values_list("status", flat=True).first()
        label = Status(current).label if current else _("gone")
        raise TransitionNotAllowed(_("This offer changed meanwhile: it is now %(status)s. Nothing was changed.") % {"status": label})
    for name, value in changes.items():
        setattr(offer, name, value)
    note = "\n".join(part for part in (note.strip(), _terms_note(offer, to_status)) if part)
    event = OfferEvent.objects.create(
        organization=offer.organization, offer=offer, actor_kind=actor_kind, actor=actor, member=member,
        actor_label=_actor_label(actor_kind, actor, member), from_status=source, to_status=to_status, note=note,
    )
    offer.last_event = event
    _after_transition(offer, source, to_status, member)
    notifications.after_event(offer, event, member=member)
    emit(offer.organization, "offer.status_changed", offer_data(offer, from_status=source))
    return offer


# The provider's grants: approving what is asked, granting part of it, confirming approval.
GRANTS = frozenset({Status.APPROVED, Status.PARTIAL_GRANTED, Status.APPROVED_CONFIRMED})


def offer_grant(*, offer: Offer, actor, to_status: str, terms: Money | Decimal | None = None, note: str = "") -> Offer:
    """The one place a provider grants an offer (all or part of it): wrap this to make grants
    wait for an approval."""
    if to_status not in GRANTS:
        raise TransitionNotAllowed(_("%(status)s is not a grant.") % {"status": Status(to_status).label})
    return offer_transition(offer=offer, to_status=to_status, actor_kind=Party.PROVIDER, actor=actor, terms=terms, note=note)


def provider_move(*, offer: Offer, actor, to_status: str, note: str = "", terms=None, acknowledgement_name: str = "") -> Offer:
    """A provider's status change from a page: grants go through offer_grant."""
    if to_status in GRANTS:
        return offer_grant(offer=offer, actor=actor, to_status=to_status, terms=terms, note=note)
    return offer_transition(offer=offer, to_status=to_status, actor_kind=Party.PROVIDER, actor=actor, note=note,
                            terms=terms, acknowledgement_name=acknowledgement_name)
def _grant_value(offer, to_status, terms) -> Money | None:
    """What a grant gives each member: the granted part, the counter accepted, or the offer's
    value; None for a percentage (no amount to compare with a threshold)."""
    if to_status == Status.PARTIAL_GRANTED:
        return terms if isinstance(terms, Money) else None
    minor = offer.proposed_amount_minor if offer.status == Status.COUNTER else offer.amount_minor
    return Money(minor, offer.currency) if minor else None


def _grant_check(offer, to_status, terms, note, actor, approved) -> Approval | None:
    """Above the threshold a grant waits: the Approval (made now), else None. Run by its
    approval, the grant must still be the one approved (a new counter is a new request)."""
    value = _grant_value(offer, to_status, terms)
    if approved is not None:
        if value is None or value.amount_minor != approved.per_participant_minor:
            raise TransitionNotAllowed(_("This offer's terms changed since the grant was asked for; reject it and grant again."))
        return None
    if value is None:
        return None
    total = value * offer.max_members
    if not requires_approval(organization=offer.organization, total=total, per_participant=value):
        return None
    if Approval.objects.for_org(offer.organization).pending().for_reference(f"offer:{offer.pk}").exists():
        raise OfferError(_("A grant of this offer is awaiting approval already; it must be approved or rejected first."))
    label = Status(to_status).label
    return approval_request(
        organization=offer.organization, kind=Approval.Kind.OFFER_GRANT, requested_by=actor, total=total,
        per_participant=value, summary=f"{label} offer #{offer.pk} at {value}" + (f" × {offer.max_members}" if offer.max_members > 1 else ""),
        reference=f"offer:{offer.pk}", link=reverse("offers:detail", args=[offer.pk]),
        payload={"to_status": to_status, "terms_minor": terms.amount_minor if isinstance(terms, Money) else None, "note": note},
    )


def approval_run(*, approval: Approval, actor) -> str:
    """An approved grant is made now, in the requester's name, as they asked for it."""
    offer = Offer.objects.select_related("organization").get(organization=approval.organization, pk=approval.reference.split(":")[1])
    payload = approval.payload
    terms = Money(payload["terms_minor"], offer.currency) if payload.get("terms_minor") is not None else None
    note = "\n".join(part for part in (payload.get("note", "").strip(), f"Approved by {actor}.") if part)
    offer_transition(
        offer=offer, to_status=payload["to_status"], actor_kind=Party.PROVIDER, actor=approval.requested_by,
        note=note, terms=terms, approved=approval,
    )
    return _("Offer #%(number)s is now %(status)s.") % {"number": offer.pk, "status": offer.get_status_display()}


def approval_release(*, approval: Approval, actor):
    """A rejected grant: nothing was reserved (an offer moves no ledger money); the offer stays as it was."""
    return None


def _side_changes(offer, to_status, terms, note, acknowledgement_name, member) -> dict:
    """Fields a transition changes besides the status; refuses a missing value or name."""
    changes = {}
    if to_status in TERMS_CHANGING:
        if terms is None:
            raise TransitionNotAllowed(_("Say what value you propose."))
        if isinstance(terms, Money) and terms.currency != offer.currency:
            raise TransitionNotAllowed(_("This offer is in %(currency)s.") % {"currency": offer.currency})
        if (offer.percent is None) != isinstance(terms, Money):
            raise TransitionNotAllowed(
                _("This offer's value is a percentage; propose a percentage.") if offer.percent is not None
                else _("This offer's value is an amount; propose an amount.")
            )
    if to_status == Status.COUNTER:
        fields = _terms_fields(terms)
        changes.update(proposed_amount_minor=fields["amount_minor"], proposed_percent=fields["percent"], proposed_by=member)
    if to_status == Status.PARTIAL_GRANTED:
        _check_partial(offer, terms)
        changes.update(_terms_fields(terms), proposed_amount_minor=None, proposed_percent=None, proposed_by=None)
        changes.pop("currency", None)
    if to_status == Status.APPROVED and offer.status == Status.COUNTER:
        changes.update(amount_minor=offer.proposed_amount_minor, percent=offer.proposed_percent,
                       proposed_amount_minor=None, proposed_percent=None, proposed_by=None)
    if to_status == Status.REJECTED and offer.status == Status.COUNTER:
        changes.update(proposed_amount_minor=None, proposed_percent=None, proposed_by=None)
    if to_status == Status.OFFERED and offer.sent_at is None:
        changes["sent_at"] = timezone.now()
    if to_status == Status.ACKNOWLEDGED:
        name = acknowledgement_name.strip() or (member.name if member else offer.recipient_name).split(" ")[0]
        if not name:
            raise TransitionNotAllowed(_("Give the name to show with the acknowledgement."))
        widget_nonce, widget_hash = new_secret(WIDGET_PURPOSE)
        changes.update(widget_nonce=widget_nonce, widget_hash=widget_hash, acknowledgement_name=name[:100], acknowledgement_text=note.strip()[:500])
    return changes


def _check_partial(offer, terms) -> None:
    """A partial grant is above zero and below what it answers: the counter being answered,
    or else the offer's value."""
    asked_minor, asked_percent = offer.amount_minor, offer.percent
    if offer.status == Status.COUNTER:
        asked_minor, asked_percent = offer.proposed_amount_minor, offer.proposed_percent
    granted, asked = (terms.amount_minor, asked_minor) if isinstance(terms, Money) else (terms, asked_percent)
    shown = value_text(asked_minor, asked_percent, offer.currency)
    if granted <= 0:
        raise TransitionNotAllowed(_("A partial grant must be above zero."))
    if asked is not None and granted >= asked:
        raise TransitionNotAllowed((
            _("A partial grant must be below the counter of %(value)s; to give all of it, approve instead.")
            if offer.status == Status.COUNTER
            else _("A partial grant must be below the offer of %(value)s; to give all of it, approve instead.")
        ) % {"value": shown})


def _terms_note(offer, to_status) -> str:
    if to_status == Status.COUNTER:
        return f"Proposed {offer.proposed_display} instead of {offer.value_display}."
    if to_status in {Status.PARTIAL_GRANTED, Status.APPROVED}:
        return f"Value: {offer.value_display}."
    return ""


def _after_transition(offer, source, target, member) -> None:
    if target == Status.OFFERED and offer.delivery == Offer.Delivery.EMAIL:
        _email_offer_to_recipient(offer)
    if target == Status.PRE_CLAIMED and member is not None:
        OfferMember.objects.filter(pk=member.pk).update(status=OfferMember.Status.CLAIMED)
    if target == Status.REJECTED and member is not None:
        OfferMember.objects.filter(pk=member.pk).update(status=OfferMember.Status.DECLINED)


def _email_offer_to_recipient(offer: Offer) -> None:
    """(Re)issue the email recipient's personal link: a new nonce, so an older link stops working."""
    nonce, hashed = new_secret(MEMBER_PURPOSE)
    member, created = OfferMember.objects.get_or_create(
        offer=offer, email=offer.recipient_email,
        defaults={"organization": offer.organization, "name": offer.recipient_name, "token_nonce": nonce, "token_hash": hashed},
    )
    if not created:  # the old link's hash is kept only to say it was replaced
        OfferMember.objects.filter(pk=member.pk).update(token_nonce=nonce, token_hash=hashed, replaced_hash=member.token_hash)
    _email_member_link(offer, member, purpose="offer_sent")


def _email_member_link(offer, member, *, purpose) -> None:
    """The member's personal link is put in at delivery (see core.tokens), never stored."""
    provider = notifications.provider_name(offer.organization)
    notifications.email_member(offer, member, purpose=purpose, template="offer", subject=lambda: _(
        "%(provider)s offers you %(value)s (%(type)s)") % {
            "provider": provider, "value": offer.value_display, "type": offer.get_incentive_type_display()})


@transaction.atomic
def offer_join(*, offer: Offer, name: str, email: str, language: str | None = None) -> tuple[OfferMember, str]:
    """A visitor of a shareable link becomes its recipient (or a group member).

    The offer row is locked so two visitors can't both take the last place. Returns the
    member and their personal token (emailed to them too); refused when the link is used
    up, closed or expired.
    """
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    if locked.delivery != Offer.Delivery.LINK or locked.status not in locked.join_statuses:
        raise OfferError(_("This offer is %(status)s; it takes no new recipients.") % {"status": locked.get_status_display()})
    if locked.expires_on < timezone.localdate():
        raise OfferError(_("This offer expired on %(date)s.") % {"date": date_format(locked.expires_on, pgettext("long date", "F j, Y"))})
    if locked.members_taken() >= locked.max_members:
        raise OfferError(_("This group is full.") if locked.is_group else _("This link has been used by someone else already."))
    nonce, hashed = new_secret(MEMBER_PURPOSE)
    try:
        with transaction.atomic():
            member = OfferMember.objects.create(
                organization=locked.organization, offer=locked, name=name.strip(), email=email.strip().lower(),
                token_nonce=nonce, token_hash=hashed, language=language,
            )
    except IntegrityError:
        raise OfferError(_("You have joined this offer already: use the link we emailed you.")) from None
    if not locked.is_group:
        Offer.objects.filter(pk=locked.pk).update(
            recipient_name=member.name, recipient_email=member.email, last_activity_at=timezone.now()
        )
    _email_member_link(locked, member, purpose="offer_joined")
    return member, member.token


def offer_member_by_token(raw: str) -> OfferMember | None:
    if not plausible(raw):
        return None
    return OfferMember.objects.select_related("offer__program").filter(token_hash=token_hash(raw)).first()


def offer_member_by_replaced_token(raw: str) -> OfferMember | None:
    if not plausible(raw):
        return None
    return OfferMember.objects.filter(replaced_hash=token_hash(raw)).first()


def offer_by_link_token(raw: str) -> Offer | None:
    if not plausible(raw):
        return None
    return Offer.objects.select_related("program").filter(link_hash=token_hash(raw)).first()


def offer_by_widget_token(raw: str) -> Offer | None:
    """The acknowledged offer a widget shows (Acknowledged is final, so a widget never ends)."""
    if not plausible(raw):
        return None
    return Offer.objects.select_related("program").filter(widget_hash=token_hash(raw), status=Status.ACKNOWLEDGED).first()


@transaction.atomic
def offer_member_claim(*, member: OfferMember) -> Offer:
    """A recipient claims: the first claim moves the offer to Pre Claimed; in a group,
    later members' claims are recorded on their membership."""
    offer = member.offer
    if offer.is_group and offer.status in GROUP_CLAIMABLE:
        if member.status != OfferMember.Status.JOINED:
            raise OfferError(_("You have %(status)s already.") % {"status": member.get_status_display().lower()})
        OfferMember.objects.filter(pk=member.pk).update(status=OfferMember.Status.CLAIMED)
        notifications.notify_provider(offer, subject=_("Offer #%(number)s: %(name)s claimed their share") % {"number": offer.pk, "name": member.name},
                                      text=_("%(name)s claimed their share of group offer #%(number)s.") % {"number": offer.pk, "name": member.name},
                                      purpose="offer_recipient_action")
        return offer
    return offer_transition(offer=offer, to_status=Status.PRE_CLAIMED, actor_kind=Party.RECIPIENT, member=member)


@transaction.atomic
def offer_member_leave(*, member: OfferMember) -> None:
    """A group member declines their place (the group offer itself goes on)."""
    if member.status != OfferMember.Status.JOINED:
        raise OfferError(_("You have %(status)s already.") % {"status": member.get_status_display().lower()})
    OfferMember.objects.filter(pk=member.pk, status=OfferMember.Status.JOINED).update(status=OfferMember.Status.DECLINED)
    Offer.objects.filter(pk=member.offer_id).update(last_activity_at=timezone.now())
    notifications.notify_provider(member.offer, subject=_("Offer #%(number)s: %(name)s left the group") % {"number": member.offer_id, "name": member.name},
                                  text=_("%(name)s left group offer #%(number)s.") % {"number": member.offer_id, "name": member.name},
                                  purpose="offer_recipient_action")


def offer_member_language_record(*, member: OfferMember, language: str | None) -> None:
    """The language of the browser that opens a member's page, kept for their emails unless one
    is known already."""
    if member.language or not language:
        return
    OfferMember.objects.filter(pk=member.pk, language__isnull=True).update(language=language)
    member.language = language


@transaction.atomic
def offer_member_updates(*, member: OfferMember, wanted: bool) -> None:
    """A member stops (or restarts) non-essential update emails about this offer."""
    OfferMember.objects.filter(pk=member.pk).update(updates_unsubscribed_at=None if wanted else timezone.now())


# --- Messages ---------------------------------------------------------------------------


@transaction.atomic
def message_post(
    *, offer: Offer, body: str, user=None, member: OfferMember | None = None, to_status: str = "",
    to_member: OfferMember | None = None,
) -> Message:
    """A message in the offer's thread; a provider may change the status with it.

    A recipient writes in their own thread with the provider (a group's members don't read
    each other's); the provider writes to one member's thread (`to_member`) or to every
    member. A status change goes to every member, with the message as its note. Whoever the
    message is for is emailed (through the outbox).
    """
    body = body.strip()
    if not body:
        raise OfferError(_("Write a message first."))
    if len(body) > MESSAGE_LIMIT:
        raise OfferError(_("A message is at most %(limit)s characters; this one has %(length)s.") % {
            "limit": f"{MESSAGE_LIMIT:,}", "length": f"{len(body):,}"})
    if to_member is not None and to_member.offer_id != offer.pk:
        raise OfferError(_("That person is not a member of this offer."))
    kind = Party.RECIPIENT if member is not None else Party.PROVIDER
    event = None
    if to_status and kind == Party.PROVIDER:
        offer = provider_move(offer=offer, actor=user, to_status=to_status, note=body)
        event, to_member = offer.last_event, None
    message = Message.objects.create(
        organization=offer.organization, offer=offer, sender_kind=kind, sender_user=user, sender_member=member,
        sender_label=member.name if member else str(user), body=body,
        thread_member=member if member is not None else to_member, event=event,
    )
    Offer.objects.filter(pk=offer.pk).update(last_activity_at=timezone.now())
    if event is None:  # a status change told its own news, with this message as its note
        notifications.after_message(offer, message)
    emit(offer.organization, "offer.message", offer_message_data(message))
    return message


# --- Distributions ----------------------------------------------------------------------


def _distributed_minor(offer: Offer) -> int:
    """What is recorded as given for the offer, corrections subtracted."""
    return Distribution.objects.filter(offer=offer).aggregate(total=Sum("amount_minor"))["total"] or 0


@transaction.atomic
def distribution_record(
    *, offer: Offer, actor, amount: Money, distributed_on: date, method: str, reference: str = "", note: str = "",
    overage_reason: str = "",
) -> Distribution:
    """Record what was given for an offer (accounting only: no ledger movement).

    The total recorded stays within the offer's value unless the provider confirms the
    overage with a reason. The offer row is locked, so two records can't both fit the rest.
    """
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.status not in DISTRIBUTABLE:
        raise OfferError(_("This offer is %(status)s; record distributions once its claim is confirmed.") % {"status": offer.get_status_display()})
    if amount.currency != offer.currency:
        raise OfferError(_("This offer is in %(offer_currency)s; the amount is in %(currency)s.") % {
            "offer_currency": offer.currency, "currency": amount.currency})
    if amount.amount_minor <= 0:
        raise OfferError(_("The amount must be greater than zero."))
    if distributed_on > timezone.localdate():
        raise OfferError(_("A distribution can't be dated in the future."))
    earliest = timezone.localdate(offer.created_at)
    if distributed_on < earliest:
        raise OfferError(_("A distribution can't be dated before the offer was made: %(date)s at the earliest.") % {
            "date": f"{earliest:%Y-%m-%d}"}, "invalid_date")
    overage_reason = overage_reason.strip()
    if offer.amount_minor is not None:
        recorded = _distributed_minor(offer)
        over = recorded + amount.amount_minor - offer.amount_minor
        if over > 0 and not overage_reason:
            raise OfferError(
                _("Offer #%(number)s is worth %(value)s and %(recorded)s is recorded already: %(amount)s more is %(over)s over. "
                  "To give more than the offer's value, say why in “Reason for the overage”.") % {
                    "number": offer.pk, "value": offer.value_display, "recorded": Money(recorded, offer.currency),
                    "amount": amount, "over": Money(over, offer.currency)},
                "distribution_overage",
            )
        if over <= 0:
            overage_reason = ""
    distribution = Distribution.objects.create(
        organization=offer.organization, offer=offer, amount_minor=amount.amount_minor, currency=amount.currency,
        distributed_on=distributed_on, method=method, reference=reference.strip(), note=note.strip(), recorded_by=actor,
        overage_reason=overage_reason[:500],
    )
    Offer.objects.filter(pk=offer.pk).update(last_activity_at=timezone.now())
    return distribution


@transaction.atomic
def distribution_reverse(*, distribution: Distribution, actor, reason: str) -> Distribution:
    """Correct a recorded distribution by a reversing record (its negative amount, dated
    today, with the reason); the original stays as it was. Each is reversed at most once."""
    reason = reason.strip()
    if not reason:
        raise OfferError(_("Say why this distribution is corrected."))
    Offer.objects.select_for_update().filter(pk=distribution.offer_id).first()
    if distribution.reverses_id is not None:
        raise OfferError(_("This record is a correction itself; record a new distribution instead."))
    if Distribution.objects.filter(reverses=distribution).exists():
        raise OfferError(_("The distribution of %(amount)s on %(date)s is corrected already.") % {
            "amount": distribution.amount, "date": f"{distribution.distributed_on:%Y-%m-%d}"})
    reversal = Distribution.objects.create(
        organization=distribution.organization, offer_id=distribution.offer_id, amount_minor=-distribution.amount_minor,
        currency=distribution.currency, distributed_on=timezone.localdate(), method=distribution.method,
        reference=distribution.reference, reverses=distribution, reason=reason[:500], recorded_by=actor,
    )
    Offer.objects.filter(pk=distribution.offer_id).update(last_activity_at=timezone.now())
    return reversal


# --- System (Celery beat) ---------------------------------------------------------------


def _system_move(offers, *, to_status, note) -> int:
    moved = 0
    for offer in offers:
        try:
            offer_transition(offer=offer, to_status=to_status, actor_kind=Party.SYSTEM, note=note)
        except TransitionNotAllowed:  # changed meanwhile by a person: they win
            continue
        moved += 1
    return moved


def offers_expire(*, today: date | None = None) -> int:
    """Expire open offers whose expiry date has passed; returns how many."""
    today = today or timezone.localdate()
    offers = Offer.objects.expirable(today).select_related("organization").order_by("pk")
    return _system_move(offers.iterator(), to_status=Status.EXPIRED, note="The expiry date passed.")


def offers_mark_no_response(*, now=None) -> int:
    """Offers waiting on the recipient longer than their provider's setting become No Response."""
    now = now or timezone.now()
    moved = 0
    for profile in ProviderProfile.objects.select_related("organization"):
        cutoff = now - timedelta(days=profile.no_response_after_days)
        offers = Offer.objects.for_org(profile.organization).filter(
            status__in=AWAITING_RECIPIENT, last_activity_at__lt=cutoff
        ).order_by("pk")
        moved += _system_move(
            offers.iterator(), to_status=Status.NO_RESPONSE,
            note=f"No answer from the recipient in {profile.no_response_after_days} days.",
        )
    return moved
