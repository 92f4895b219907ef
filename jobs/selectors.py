"""What the pages read about bulk jobs."""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from .models import BackgroundJob

# A bulk job still queued this long after it was started has missed its sweep too; one running
# this long is taking far longer than any of ours should.
JOB_QUEUED_STUCK = timedelta(minutes=3)
JOB_RUNNING_STUCK = timedelta(minutes=30)


def bulk_job_counts(organization, now=None) -> dict[str, int]:
    """The organization's bulk jobs waiting or running, and those of them that look stuck."""
    now = now or timezone.now()
    Status = BackgroundJob.Status
    return BackgroundJob.objects.for_org(organization).aggregate(
        running=Count("pk", filter=Q(status__in=[Status.QUEUED, Status.RUNNING])),
        stuck=Count("pk", filter=(
            Q(status=Status.QUEUED, created_at__lt=now - JOB_QUEUED_STUCK)
            | Q(status=Status.RUNNING, started_at__lt=now - JOB_RUNNING_STUCK)
        )),
    )
