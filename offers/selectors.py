"""Reads for the provider dashboard and the recipient pages."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.urls import reverse

from .models import Distribution, IncentiveProgram, LinkTemplate, Offer, OfferMember, ProviderProfile
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
    return Distribution.objects.for_org(offer.organization).filter(offer=offer).select_related("recorded_by")


def distribution_export_rows(*, organization, offer: Offer | None = None):
    """Rows for the distributions CSV, lazily, for the whole organization or one offer."""
    rows = Distribution.objects.for_org(organization).select_related("offer__program", "recorded_by")
    if offer is not None:
        rows = rows.filter(offer=offer)
    for d in rows.order_by("distributed_on", "pk").iterator(chunk_size=2000):
        yield [
            d.offer_id, d.offer.program.name, d.offer.recipient_display, d.distributed_on.isoformat(),
            d.amount.plain(), d.currency, d.get_method_display(), d.reference, d.note, str(d.recorded_by or ""),
        ]


DISTRIBUTION_HEADER = [
    "Offer", "Program", "Recipient", "Date", "Amount", "Currency", "Method", "Reference", "Note", "Recorded by",
]


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
    items = [MenuItem("messages", "View Messages with Recipient", reverse("offers:messages", args=[pk]))]
    if offer.open_to_join():
        items.append(MenuItem("share", "Copy Link and Share", link_url, share=True))
    if offer.delivery == Offer.Delivery.LINK and offer.status == Status.OFFERED and not offer.members_taken():
        items.append(MenuItem("edit", "Edit Incentive Offer", reverse("offers:edit", args=[pk])))
    if offer.is_group:
        items.append(MenuItem("members", "View Group Members", reverse("offers:members", args=[pk])))
    items.append(MenuItem("distributions", "View Incentive Distribution", reverse("offers:distributions", args=[pk])))
    items.append(MenuItem("program", "View Incentive Program", reverse("offers:program_detail", args=[offer.program_id])))
    if offer.status == Status.ACKNOWLEDGED:
        items.append(MenuItem("widget", "Embed Acknowledgement Widget", reverse("offers:widget_embed", args=[pk])))
    items.append(MenuItem("details", "View Incentive Offer Details", reverse("offers:detail", args=[pk])))
    return items


def provider_actions(offer: Offer):
    return transitions_from(offer.status, Party.PROVIDER)


def recipient_actions(offer: Offer):
    return transitions_from(offer.status, Party.RECIPIENT)
