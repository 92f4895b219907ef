from django.db.models import Count, Q

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
