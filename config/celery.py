import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Every task runs again after a deadlock or serialization failure (core.db: the task boundary).
app = Celery("incentives", task_cls="core.db:RetryOnConflictTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Modules of beat jobs not named tasks.py (incentives/policy_tasks.py).
app.autodiscover_tasks(related_name="policy_tasks")


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _redact_tokens(logger, **kwargs):
    """Celery installs its own log handlers in the worker and beat: they redact secret tokens
    as Django's do (core/logging.py)."""
    from core.logging import RedactTokensFilter

    for handler in logger.handlers:
        handler.addFilter(RedactTokensFilter())


# --- Beat's ticks, for the System status page (core/system.py) ---------------------------
_in_beat = False


def _jobs_of(task_name: str) -> list[str]:
    return [name for name, entry in app.conf.beat_schedule.items() if entry["task"] == task_name]


def _record(**kwargs) -> None:
    from django.db import close_old_connections

    from core.services import scheduled_job_record

    if _in_beat:
        close_old_connections()  # beat lives long: never reuse a connection gone stale
    scheduled_job_record(**kwargs)


@signals.beat_init.connect
def _beat_started(**kwargs):
    global _in_beat
    _in_beat = True
    from core.models import ScheduledJobRun

    _record(names=[ScheduledJobRun.BEAT_STARTED], sent=True)


@signals.before_task_publish.connect
def _beat_sent(sender=None, **kwargs):
    if _in_beat and (names := _jobs_of(sender)):
        _record(names=names, sent=True)


@signals.task_success.connect
def _job_done(sender=None, **kwargs):
    if sender is not None and (names := _jobs_of(sender.name)):
        _record(names=names, done=True)


# --- The audit log's actor: each task (beat's jobs included) by its name (audit/context.py) ---
@signals.task_prerun.connect
def _audit_task_started(task_id=None, task=None, **kwargs):
    from audit.context import task_started

    task_started(task_id, task.name)


@signals.task_postrun.connect
def _audit_task_finished(task_id=None, **kwargs):
    from audit.context import task_finished

    task_finished(task_id)
