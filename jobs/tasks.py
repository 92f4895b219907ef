from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.broker import requeue
from core.errors import DomainError

from . import services
from .models import BackgroundJob


@shared_task(bind=True, acks_late=True, max_retries=5)
def job_run(self, job_id: int) -> None:
    """Run a job to the end, one committed chunk at a time (a redelivered task resumes it).

    If the database connection drops, the chunk under way rolls back whole and the task goes on
    from the last committed chunk after 1, 2, 4... seconds; after the last retry, or on any other
    error, the job is marked failed. A refusal (a DomainError: the budget ran short, the study
    closed) stops it too, its message for people on the job's page; the chunks done stay done.
    """
    ids = BackgroundJob.objects.filter(pk=job_id).values_list("ids", flat=True).first()
    if ids is None:
        return
    try:
        while services.job_advance(job_id=job_id, ids=ids):
            pass
    except DomainError as refusal:
        services.job_fail(job_id=job_id, error=refusal.message)
    except Exception as error:
        if isinstance(error, (OperationalError, InterfaceError)) and self.request.retries < self.max_retries:
            raise self.retry(exc=error, countdown=2**self.request.retries) from None
        services.job_fail(job_id=job_id, error=f"{type(error).__name__}: {error}")
        raise


@shared_task
def jobs_sweep() -> int:
    """Queue again the jobs whose task was lost; a job run twice still does each chunk once."""
    return requeue(job_run, services.jobs_never_started())
