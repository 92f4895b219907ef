from celery import shared_task

from . import services


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(services.TemporaryEmailFailure,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def outbound_email_deliver(self, email_id: int) -> str:
    return services.outbound_email_deliver(
        email_id=email_id, final_attempt=self.request.retries >= self.max_retries
    )


@shared_task
def outbound_emails_sweep() -> int:
    """Re-enqueue emails committed but never delivered; delivery is idempotent."""
    ids = list(services.outbound_emails_pending().values_list("pk", flat=True)[:1000])
    for email_id in ids:
        outbound_email_deliver.delay(email_id)
    return len(ids)
