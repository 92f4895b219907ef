"""Is the background work running? Read by the System status page, /healthz, /readyz and the
owners' banner (core.context_processors.beat_warning).

Each question has a short timeout: the page answers within a few seconds when the broker or
the workers don't.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Q
from django.utils import timezone

from celery import current_app as celery_app  # the project's app (config.celery), without importing config

from .models import OutboundEmail, ScheduledJobRun

TIMEOUT_SECONDS = 1.0
# Beat sends its most frequent job every SHORTEST_PERIOD seconds; a little later than that is
# still on time (beat wakes at most every CELERY_BEAT_MAX_LOOP_INTERVAL).
BEAT_SLACK_SECONDS = 15.0


def shortest_period() -> float:
    return min(float(entry["schedule"]) for entry in settings.CELERY_BEAT_SCHEDULE.values())


def broker_reachable() -> bool:
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)
        return True
    except Exception:  # any transport's "can't connect"
        return False


def queue_length() -> int | None:
    """Tasks waiting in the default queue (None if the broker can't be asked)."""
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)
            queue = celery_app.conf.task_default_queue
            return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception:
        return None


def workers() -> list[str]:
    """The names of the workers that answer a ping within the timeout."""
    try:
        answers = celery_app.control.ping(timeout=TIMEOUT_SECONDS) or []
    except Exception:
        return []
    return sorted(name for answer in answers for name in answer)


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def beat_last_tick() -> datetime | None:
    """When beat last sent a job (or started), whichever is later."""
    return ScheduledJobRun.objects.aggregate(last=Max("last_sent_at"))["last"]


def beat_is_late(now=None) -> bool:
    last = beat_last_tick()
    limit = timedelta(seconds=shortest_period() + BEAT_SLACK_SECONDS)
    return last is None or (now or timezone.now()) - last > limit


@dataclass
class Job:
    name: str
    task: str
    period: float
    last_sent_at: datetime | None
    last_done_at: datetime | None
    late: bool


def scheduled_jobs(now=None) -> list[Job]:
    now = now or timezone.now()
    runs = {run.name: run for run in ScheduledJobRun.objects.all()}
    jobs = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        run = runs.get(name)
        sent = run.last_sent_at if run else None
        period = float(entry["schedule"])
        late = sent is None or now - sent > timedelta(seconds=period + BEAT_SLACK_SECONDS)
        jobs.append(Job(name, entry["task"], period, sent, run.last_done_at if run else None, late))
    return jobs


def outbox_counts(organization) -> dict[str, int]:
    counts = OutboundEmail.objects.for_org(organization).aggregate(
        pending=Count("pk", filter=Q(status=OutboundEmail.Status.PENDING)),
        failed=Count("pk", filter=Q(status=OutboundEmail.Status.FAILED)),
    )
    return counts
