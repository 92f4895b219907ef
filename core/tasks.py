from celery import shared_task

from . import services


@shared_task(bind=True, acks_late=True, max_retries=None)  # services.MAX_ATTEMPTS bounds the tries
def outbound_email_deliver(self, email_id: int, attempt: int | None = None) -> str:
    """Try `attempt` of one email; a temporary failure retries with the next try's number
    after the email's backoff (services.retry_delay)."""
    try:
        return services.outbound_email_deliver(email_id=email_id, attempt=attempt)
    except services.TemporaryEmailFailure as failure:
        raise self.retry(args=(email_id, failure.attempts), countdown=failure.retry_in) from None


@shared_task(acks_late=True)
def outbound_emails_deliver(email_ids: list[int]) -> int:
    """Make the first try of a batch of emails over one connection; each one refused for now is
    retried by its own task after its backoff (the email's next_attempt_at). A redelivered
    batch skips the emails tried already."""
    retry = services.outbound_emails_deliver(email_ids=email_ids)
    for failure in retry:
        outbound_email_deliver.apply_async((failure.email_id, failure.attempts), countdown=failure.retry_in)
    return len(email_ids) - len(retry)


@shared_task
def outbound_emails_sweep() -> int:
    """Queue again the emails whose task was lost (beat, every minute); delivery is idempotent."""
    due = services.outbound_emails_due()
    for email_id, attempt in due:
        outbound_email_deliver.delay(email_id, attempt)
    return len(due)


@shared_task
def idempotency_keys_prune() -> int:
    """API Idempotency-Keys are forgotten after 30 days (beat, daily)."""
    return services.idempotency_keys_prune()
