"""Thin Celery tasks: load by id, call a service (schedules in CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def payout_batch_submit(batch_id: int) -> int:
    return services.payout_batch_submit(batch_id=batch_id)


@shared_task
def payouts_abandon_due() -> int:
    return services.payouts_abandon_due()


@shared_task
def payout_details_erase_due() -> int:
    return services.payout_details_erase_due()
