"""Reads for the provider dashboard and the recipient pages."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _, gettext_lazy, pgettext

from core.money import Money

from .models import Distribution, IncentiveProgram, LinkTemplate, Message, Offer, OfferEvent, OfferMember, ProviderProfile
from .notifications import provider_name
from .transitions import Party, Status, transitions_from


def provider_setup(*, organization) -> dict:
    """What the organization still lacks before it can create offers."""
    profile = ProviderProfile.objects.for_org(organization).first()
    has_program = IncentiveProgram.objects.for_org(organization).active().exists()
    return {"profile": profile, "has_program": has_program, "ready": profile is not None and has_program}


def offer_list(*, organization):
    return Offer.objects.for_org(organization).for_table()


def program_list(*, organization):
    return IncentiveProgram.objects.for_org(organization).annotate(offer_count=Count("offers"))


def link_template_list(*, organization):
    return LinkTemplate.objects.for_org(organization).with_usage()


def offer_distributions(*, offer: Offer):
    return Distribution.objects.for_org(offer.organization).filter(offer=offer).select_related(
        "recorded_by", "reversal", "reverses"
    )


def distribution_export_rows(*, organization, offer: Offer | None = None):
    """Rows for the distributions CSV, lazily, for the whole organization or one offer."""
    rows = Distribution.objects.for_org(organization).select_related("offer__program", "recorded_by")
    if offer is not None:
        rows = rows.filter(offer=offer)
    for d in rows.order_by("distributed_on", "pk").iterator(chunk_size=2000):
        yield [
            d.offer_id, d.offer.program.name, d.offer.recipient_display, d.distributed_on.isoformat(),
            d.amount.plain(), d.currency, d.get_method_display(), d.reference, d.note, str(d.recorded_by or ""),
            d.pk, d.reverses_id or "", d.reason, d.overage_reason,
        ]


DISTRIBUTION_HEADER = [
    *map(gettext_lazy, [
        "Offer", "Program", "Recipient", "Date", "Amount", "Currency", "Method", "Reference", "Note", "Recorded by",
        "Record", "Corrects record", "Correction reason", "Overage reason",
    ]),
]


def distribution_totals_by_program(*, organization) -> dict:
    """What was given, corrections subtracted: per program and currency, and overall per currency."""
    rows = (
        Distribution.objects.for_org(organization).values("offer__program_id", "currency")
        .annotate(total=Sum("amount_minor")).order_by("currency")
    )
    by_program, overall = {}, {}
    for row in rows:
        by_program.setdefault(row["offer__program_id"], []).append(Money(row["total"], row["currency"]))
        overall[row["currency"]] = overall.get(row["currency"], 0) + row["total"]
    return {"by_program": by_program, "overall": [Money(total, currency) for currency, total in overall.items()]}


def distribution_totals(*, offer: Offer) -> dict:
    total = Distribution.objects.for_org(offer.organization).filter(offer=offer).aggregate(
        total=Sum("amount_minor"), count=Count("pk")
    )
    return {"total_minor": total["total"] or 0, "count": total["count"]}


def group_progress(*, offer: Offer) -> dict:
    counts = OfferMember.objects.for_org(offer.organization).filter(offer=offer).aggregate(
        joined=Count("pk", filter=~Q(status=OfferMember.Status.DECLINED)),
        claimed=Count("pk", filter=Q(status=OfferMember.Status.CLAIMED)),
    )
    return {**counts, "max": offer.max_members, "full": counts["joined"] >= offer.max_members}


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url: str
    share: bool = False  # copy/share the URL instead of following it


def offer_menu(offer: Offer, *, link_url: str = "") -> list[MenuItem]:
    """The row menu (...) of My Offers: which actions this offer allows, in a fixed order."""
    pk = offer.pk
    items = [MenuItem("messages", _("View Messages with Recipient"), reverse("offers:messages", args=[pk]))]
    if offer.open_to_join():
        items.append(MenuItem("share", _("Copy Link and Share"), link_url, share=True))
    if offer.delivery == Offer.Delivery.LINK and offer.status == Status.OFFERED and not offer.members_taken():
        items.append(MenuItem("edit", _("Edit Incentive Offer"), reverse("offers:edit", args=[pk])))
    if offer.is_group:
        items.append(MenuItem("members", _("View Group Members"), reverse("offers:members", args=[pk])))
    items.append(MenuItem("distributions", _("View Incentive Distribution"), reverse("offers:distributions", args=[pk])))
    items.append(MenuItem("program", _("View Incentive Program"), reverse("offers:program_detail", args=[offer.program_id])))
    if offer.status == Status.ACKNOWLEDGED:
        items.append(MenuItem("widget", _("Embed Acknowledgement Widget"), reverse("offers:widget_embed", args=[pk])))
    items.append(MenuItem("details", _("View Incentive Offer Details"), reverse("offers:detail", args=[pk])))
    return items


def provider_actions(offer: Offer):
    return transitions_from(offer.status, Party.PROVIDER)


def recipient_actions(offer: Offer):
    return transitions_from(offer.status, Party.RECIPIENT)


# --- The thread: messages and status changes, one timeline ------------------------------


@dataclass(frozen=True)
class ThreadEntry:
    at: object
    side: str  # provider, recipient, system
    who: str
    body: str = ""
    status: str = ""  # the status an event moved the offer to
    status_label: str = ""
    to: str = ""  # whose thread a provider message is in: "everyone", a member's name, or ""
    is_event: bool = False


def _event_entry(event: OfferEvent, *, show_note: bool) -> ThreadEntry:
    return ThreadEntry(
        at=event.created_at, side=event.actor_kind, who=event.actor_label, body=event.note if show_note else "",
        status=event.to_status, status_label=event.get_to_status_display(), is_event=True,
    )


def _message_entry(message: Message, *, group: bool) -> ThreadEntry:
    to = ""
    if message.sender_kind == Party.PROVIDER and group:
        to = message.thread_member.name if message.thread_member_id else "everyone"
    event = message.event
    return ThreadEntry(
        at=message.created_at, side=message.sender_kind, who=message.sender_label, body=message.body, to=to,
        status=event.to_status if event else "", status_label=event.get_to_status_display() if event else "",
    )


def thread(offer: Offer, *, member: OfferMember | None = None) -> list[ThreadEntry]:
    """The offer's timeline as its thread: messages and status changes (who, what, when, note).

    The provider (member=None) reads everything. A recipient reads the status changes, their
    own thread with the provider and the provider's messages to everyone; another member's
    notes and messages stay between that member and the provider.
    """
    messages = Message.objects.for_org(offer.organization).filter(offer=offer).select_related("event", "thread_member")
    if member is not None:
        messages = messages.filter(Q(thread_member=member) | Q(thread_member__isnull=True))
    events = OfferEvent.objects.for_org(offer.organization).filter(offer=offer, message__isnull=True).exclude(
        to_status=Status.DRAFT
    )
    entries = [_message_entry(m, group=offer.is_group) for m in messages]
    for event in events:
        own = member is None or event.member_id in (None, member.pk)
        entries.append(_event_entry(event, show_note=own))
    return sorted(entries, key=lambda e: e.at)


# --- What the recipient reads: where they stand ------------------------------------------

STANDING = {
    Status.OFFERED: gettext_lazy("{provider} offers you {value}. Accept it, propose another value, or reject it."),
    Status.NEEDS_INFO: gettext_lazy("{provider} needs more information from you before deciding."),
    Status.INFO_PROVIDED: gettext_lazy("You sent the information. Waiting for {provider} to decide."),
    Status.COUNTER: gettext_lazy("{proposer} proposed {proposed}. Waiting for {provider} to answer."),
    Status.APPROVED: gettext_lazy("{provider} approved {value}. Claim it when you are ready."),
    Status.PARTIAL_GRANTED: gettext_lazy("{provider} granted {value}. Accept it, propose another value, or reject it."),
    Status.APPROVED_CONFIRMED: gettext_lazy("{value} is confirmed. Claim it when you are ready."),
    Status.PRE_CLAIMED: gettext_lazy("Waiting for {provider} to confirm your claim."),
    Status.REQUIRES_REVISION: gettext_lazy("{provider} asks you to revise your claim and resubmit it."),
    Status.CLAIMED: gettext_lazy("{provider} confirmed your claim and will send you {value}."),
    Status.COMPLETED: gettext_lazy("{provider} has given you {value}. You can acknowledge it below."),
    Status.ACKNOWLEDGED: gettext_lazy("You acknowledged this offer."),
    Status.REJECTED: gettext_lazy("This offer was declined; there is nothing more to do."),
    Status.CANCELLED: gettext_lazy("{provider} cancelled this offer; there is nothing more to do."),
    Status.EXPIRED: gettext_lazy("This offer expired on {expires}; there is nothing more to do."),
    Status.NO_RESPONSE: gettext_lazy("We heard nothing from you in time; {provider} may offer it again."),
}
# A counter the member proposed themselves.
STANDING_YOU_PROPOSED = gettext_lazy("You proposed {proposed}. Waiting for {provider} to answer.")


def recipient_standing(offer: Offer, member: OfferMember) -> dict:
    """The sentence that says where the recipient stands, and the provider's latest note."""
    last = offer.events.exclude(to_status=Status.DRAFT).order_by("-created_at", "-pk").first()
    you = offer.proposed_by_id in (None, member.pk)
    template = STANDING_YOU_PROPOSED if offer.status == Status.COUNTER and you else STANDING[offer.status]
    sentence = str(template).format(
        provider=provider_name(offer.organization), value=offer.value_display, proposed=offer.proposed_display,
        proposer="" if you else offer.proposed_by.name, expires=date_format(offer.expires_on, pgettext("long date", "F j, Y")),
    )
    if offer.status == Status.REJECTED and last and last.actor_kind == Party.RECIPIENT:
        sentence = _("You rejected this offer; there is nothing more to do.")
    if offer.is_group and member.status == OfferMember.Status.DECLINED and offer.status != Status.REJECTED:
        sentence = _("You left this group offer; it takes no more answers from you.")
    elif offer.is_group and member.status == OfferMember.Status.CLAIMED and offer.status in {Status.PRE_CLAIMED, Status.REQUIRES_REVISION}:
        sentence = _("You claimed your share. %(standing)s") % {"standing": sentence}
    note = ""
    if last and last.actor_kind != Party.RECIPIENT and last.to_status == offer.status:
        note = last.note
    return {"sentence": sentence, "note": note, "note_by": last.actor_label if note else ""}
