import random

from celery import shared_task

from . import services
from .broker import requeue

# A temporary refusal (4xx, server unreachable) is tried again after 2.5-5 s, then 5-10 s, 10-20 s...
# (doubling, the lower half fixed and the upper half random, so emails refused together don't
# all come back together), at most 10 minutes apart; the last retry marks it failed.
RETRY_BACKOFF_SECONDS = 5.0
RETRY_BACKOFF_MAX_SECONDS = 600.0


def retry_delay(retries: int) -> float:
    longest = min(RETRY_BACKOFF_MAX_SECONDS, RETRY_BACKOFF_SECONDS * 2**retries)
    return random.uniform(longest / 2, longest)


@shared_task(bind=True, acks_late=True, max_retries=6)
def outbound_email_deliver(self, email_id: int) -> str:
    try:
        return services.outbound_email_deliver(
            email_id=email_id, final_attempt=self.request.retries >= self.max_retries
        )
    except services.TemporaryEmailFailure as failure:
        raise self.retry(exc=failure, countdown=retry_delay(self.request.retries)) from None


@shared_task(acks_late=True)
def outbound_emails_deliver(email_ids: list[int]) -> int:
    """Deliver a batch of emails over one connection; each one refused for now is retried by
    its own task, with backoff, as its first retry (the batch made the first attempt). A
    redelivered batch skips the emails already sent."""
    retry = services.outbound_emails_deliver(email_ids=email_ids)
    for email_id in retry:
        outbound_email_deliver.apply_async((email_id,), countdown=retry_delay(0), retries=1)
    return len(email_ids) - len(retry)


@shared_task
def outbound_emails_sweep() -> int:
    """Re-enqueue emails committed but never delivered; delivery is idempotent."""
    return requeue(outbound_email_deliver, services.outbound_emails_pending()[:1000])


@shared_task
def idempotency_keys_prune() -> int:
    """API Idempotency-Keys are forgotten after 30 days (beat, daily)."""
    return services.idempotency_keys_prune()
