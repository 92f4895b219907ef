"""What the Payouts page reads."""

from django.db.models import Count, Q, Sum

from incentives.models import Incentive, PayoutStatus

from .models import Payout, PayoutBatch


def payouts_owed(*, organization) -> list[dict]:
    """What is owed, by payout method and currency: owed now (ready for a batch) and returned
    (waiting for the participant's corrected details). One grouped query."""
    rows = (
        Incentive.objects.for_org(organization)
        .filter(payout_status__in=[PayoutStatus.OWED, PayoutStatus.RETURNED])
        .values("payout_method", "currency")
        .annotate(
            # Held for a W-9 (docs/tax.md): owed, but not ready for a batch until it is received.
            owed_count=Count("pk", filter=Q(payout_status=PayoutStatus.OWED, w9_hold=False)),
            owed_minor=Sum("amount_minor", filter=Q(payout_status=PayoutStatus.OWED, w9_hold=False), default=0),
            returned_count=Count("pk", filter=Q(payout_status=PayoutStatus.RETURNED)),
            returned_minor=Sum("amount_minor", filter=Q(payout_status=PayoutStatus.RETURNED), default=0),
        )
        .order_by("payout_method", "currency")
    )
    labels = dict(Incentive.PayoutMethod.choices)
    return [{**row, "method_label": labels.get(row["payout_method"], row["payout_method"])} for row in rows]


def batch_list(*, organization):
    return (
        PayoutBatch.objects.for_org(organization)
        .select_related("created_by", "sent_by")
        .annotate(failed_count=Count("payouts", filter=Q(payouts__status__in=[Payout.Status.FAILED, Payout.Status.RETURNED])))
    )


def batch_payouts(*, batch: PayoutBatch):
    return (
        Payout.objects.for_org(batch.organization)
        .filter(batch=batch)
        .select_related("incentive__participant", "incentive__study")
    )
