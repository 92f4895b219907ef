"""Start a job, advance it one chunk per transaction, finish or fail it."""

from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.broker import enqueue_on_commit
from core.db import retry_on_conflict
from core.errors import DomainError

from .kinds import KINDS
from .models import BackgroundJob
from .results import BulkResult

Status = BackgroundJob.Status
CHUNK_SIZE = 100


class JobError(DomainError):
    code = "job_error"
    status = 422


@transaction.atomic
def job_start(
    *, organization, kind: str, created_by, ids: list[int], return_url: str = "", params: dict | None = None
) -> BackgroundJob:
    """Record the job and queue its task once this transaction commits; `params` reach the
    handler as keywords with every chunk."""
    from . import tasks

    if kind not in KINDS:
        raise JobError(f"Unknown job kind {kind!r}.")
    job = BackgroundJob.objects.create(
        organization=organization, kind=kind, created_by=created_by, ids=list(ids), total=len(ids), return_url=return_url,
        params=params or {},
    )
    enqueue_on_commit(tasks.job_run, job.pk)
    return job


def jobs_never_started(*, older_than_seconds: int = 60):
    """Jobs still queued a while after they were started: their task never reached a worker
    (the broker was down when they were committed)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return BackgroundJob.objects.filter(status=Status.QUEUED, created_at__lt=cutoff)


@retry_on_conflict  # the chunk is the boundary: a deadlock or serialization failure runs it again
def job_advance(*, job_id: int, ids: list[int], chunk_size: int = CHUNK_SIZE) -> bool:
    """Handle the next chunk of `ids` (the job's own, read once by the caller) and record it,
    in one transaction: a worker that dies mid-chunk leaves the job where the last chunk ended,
    and the redelivered task goes on from there. Returns whether anything is left to do."""
    with transaction.atomic():
        job = BackgroundJob.objects.select_for_update(of=("self",)).defer("ids").select_related("organization", "created_by").get(pk=job_id)
        if job.is_finished:
            return False
        now = timezone.now()
        if job.status == Status.QUEUED:
            job.status, job.started_at = Status.RUNNING, now
        chunk = ids[job.processed : job.processed + chunk_size]
        result = import_string(KINDS[job.kind][2])(organization=job.organization, ids=chunk, actor=job.created_by, **job.params)
        _record(job, result)
        job.processed += len(chunk)
        if job.processed >= job.total:
            job.status, job.finished_at = Status.DONE, now
        job.save(update_fields=["status", "started_at", "finished_at", "processed", "done_count", "skipped_count", "failed_count", "summary"])
        return not job.is_finished


def _record(job: BackgroundJob, result: BulkResult) -> None:
    job.done_count += result.done
    job.skipped_count += result.skipped_count
    job.failed_count += len(result.failed)
    so_far = BulkResult(skipped=Counter(job.summary.get("skipped", {})), failed=job.summary.get("failed", []))
    so_far.skipped.update(result.skipped)
    so_far.failed.extend(result.failed)
    job.summary = so_far.summary()


@transaction.atomic
def job_fail(*, job_id: int, error: str) -> None:
    BackgroundJob.objects.filter(pk=job_id).exclude(status=Status.DONE).update(
        status=Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )
