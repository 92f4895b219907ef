from django.db.models import Count, OuterRef, Q, Subquery

from incentives.models import Incentive

from .models import Study, StudyParticipant

GROUPS = {key: (label, statuses) for key, label, statuses in StudyParticipant.GROUPS}


def study_list(*, organization):
    return (
        Study.objects.for_org(organization)
        .select_related("budget")
        .prefetch_related("owners")
        .annotate(
            participant_count=Count("memberships", distinct=True),
            done_count=Count("memberships", filter=Q(memberships__status__in=StudyParticipant.DONE), distinct=True),
            sent_count=Count(
                "memberships", filter=Q(memberships__status=StudyParticipant.Status.INCENTIVE_SENT), distinct=True
            ),
        )
        .order_by("-created_at", "-id")
    )


def study_group_counts(*, study: Study) -> list[dict]:
    """The side panel's groups with how many participants each holds, in one query."""
    counts = StudyParticipant.objects.for_org(study.organization).filter(study=study).aggregate(
        **{key: Count("pk", filter=Q(status__in=statuses)) for key, (_, statuses) in GROUPS.items()}
    )
    return [{"key": key, "label": label, "count": counts[key]} for key, (label, _) in GROUPS.items()]


def study_participants(*, study: Study, group: str):
    """The participants of one panel group, with their live incentive's status, if any."""
    _, statuses = GROUPS[group]
    live_incentive = Incentive.objects.filter(
        study=study,
        participant=OuterRef("participant"),
        status__in=[Incentive.Status.UNCLAIMED, Incentive.Status.CLAIMED],
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
    )
