"""Beat jobs applying the organizations' incentive policies (found by config/celery.py's
autodiscover_tasks(related_name="policy_tasks"); schedule in CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import policies


@shared_task
def incentives_remind_due() -> int:
    return policies.incentives_remind_due()


@shared_task
def incentives_expire_unclaimed_due() -> int:
    return policies.incentives_expire_unclaimed_due()
