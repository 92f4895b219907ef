from celery import shared_task

from . import services


@shared_task(acks_late=True)
def webhook_delivery_send(delivery_id: int, attempts: int) -> str:
    """One attempt of one delivery; a failure is retried by the sweep, not by this task."""
    return services.webhook_delivery_send(delivery_id=delivery_id, attempts=attempts)


@shared_task
def webhook_deliveries_sweep() -> int:
    """Queue deliveries whose next attempt is due (beat, every minute)."""
    return services.webhook_deliveries_sweep()
