"""What the study pages read about incentives (studies sit below incentives and don't know them)."""

from django.db.models import Count, OuterRef, Q, Subquery

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
    """Sent, claimed and unclaimed incentives of the study: counts and sums, in one query."""
    live = Incentive.objects.for_org(study.organization).filter(study=study)
    return live.aggregate(
        sent=Count("pk", filter=Q(status__in=[Incentive.Status.UNCLAIMED, Incentive.Status.CLAIMED])),
        claimed=Count("pk", filter=Q(status=Incentive.Status.CLAIMED)),
        unclaimed=Count("pk", filter=Q(status=Incentive.Status.UNCLAIMED)),
        awaiting_approval=Count("pk", filter=Q(status=Incentive.Status.AWAITING_APPROVAL)),
    )
