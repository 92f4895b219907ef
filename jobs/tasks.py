from celery import shared_task

from . import services
from .models import BackgroundJob


@shared_task(acks_late=True)
def job_run(job_id: int) -> None:
    """Run a job to the end, one committed chunk at a time (a redelivered task resumes it)."""
    ids = BackgroundJob.objects.filter(pk=job_id).values_list("ids", flat=True).first()
    if ids is None:
        return
    try:
        while services.job_advance(job_id=job_id, ids=ids):
            pass
    except Exception as error:
        services.job_fail(job_id=job_id, error=f"{type(error).__name__}: {error}")
        raise
