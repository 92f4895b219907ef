"""What the study pages read about incentives (studies sit below incentives and don't know them)."""

from django.db.models import Count, OuterRef, Q, Subquery, Sum

from budgets.selectors import PAYOUT_GROUPS
from studies.models import Study, StudyParticipant
from studies.selectors import GROUPS

from .models import Incentive


def study_participants(*, study: Study, group: str):
    """The participants of one panel group, with their live incentive's status, if any."""
    _, statuses = GROUPS[group]
    live_incentive = Incentive.objects.filter(
        study=study,
        participant=OuterRef("participant"),
        status__in=[Incentive.Status.AWAITING_APPROVAL, Incentive.Status.UNCLAIMED, Incentive.Status.CLAIMED],
    )
    return (
        StudyParticipant.objects.for_org(study.organization)
        .filter(study=study, status__in=statuses)
        .select_related("participant")
        .annotate(incentive_status=Subquery(live_incentive.values("status")[:1]))
        .order_by("participant__name", "pk")
    )


def study_incentive_totals(*, study: Study) -> dict:
    """Sent, claimed and unclaimed incentives of the study, and where claimed money is
    (payout_totals' figures, under "payouts"): counts and sums, in one query."""
    live = Incentive.objects.for_org(study.organization).filter(study=study)
    totals = live.aggregate(
        sent=Count("pk", filter=Q(status__in=[Incentive.Status.UNCLAIMED, Incentive.Status.CLAIMED])),
        claimed=Count("pk", filter=Q(status=Incentive.Status.CLAIMED)),
        unclaimed=Count("pk", filter=Q(status=Incentive.Status.UNCLAIMED)),
        awaiting_approval=Count("pk", filter=Q(status=Incentive.Status.AWAITING_APPROVAL)),
        **_payout_aggregates(),
    )
    totals["payouts"] = {name: totals[name] for name in _payout_aggregates()} | {"currency": study.currency}
    return totals


def _payout_aggregates() -> dict:
    """Claimed incentives by where their money is (budgets.selectors.PAYOUT_GROUPS): claimed and
    not yet paid, paid, failed or returned; the first and the last together are payable."""
    return {
        **{f"{name}_count": Count("pk", filter=Q(payout_status__in=statuses)) for name, statuses in PAYOUT_GROUPS.items()},
        **{f"{name}_minor": Sum("amount_minor", filter=Q(payout_status__in=statuses), default=0) for name, statuses in PAYOUT_GROUPS.items()},
    }
