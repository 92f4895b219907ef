"""Shared writes: the email outbox (queue in the caller's transaction, deliver exactly once
after commit) and people's saved table columns."""

import contextlib
import random
import smtplib
from datetime import timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from .broker import enqueue_on_commit
from .models import API_KEYS_KEPT, PERMANENT_KEY_PREFIX, IdempotencyRecord, OutboundEmail, TablePreference
from .tokens import PLACEHOLDER, secret_link_url


# A temporary refusal (4xx, server unreachable) is tried again after 2.5-5 s, then 5-10 s, 10-20 s...
# (doubling, the lower half fixed and the upper half random, so emails refused together don't
# all come back together), at most 10 minutes apart. MAX_ATTEMPTS tries span at least 35
# minutes (at most 70), so a shorter outage of the mail server loses nothing; the last marks it failed.
RETRY_BACKOFF_SECONDS = 5.0
RETRY_BACKOFF_MAX_SECONDS = 600.0
MAX_ATTEMPTS = 14
# A pending email whose next try is overdue by this long lost its task (the broker was down at
# commit, or a worker died holding it): the sweep queues it again.
SWEEP_GRACE = timedelta(seconds=60)


class TemporaryEmailFailure(Exception):
    """The mail server said 'try later' (4xx) or could not be reached; try `attempts` again in
    `retry_in` seconds (the email's next_attempt_at)."""

    def __init__(self, message: str, *, attempts: int = 0, retry_in: float = 0.0):
        super().__init__(message)
        self.attempts = attempts
        self.retry_in = retry_in


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th try failed for a temporary reason."""
    longest = min(RETRY_BACKOFF_MAX_SECONDS, RETRY_BACKOFF_SECONDS * 2 ** (attempts - 1))
    return random.uniform(longest / 2, longest)


def one_line(text: str) -> str:
    """Header values never carry CR or LF (no header injection through names or subjects)."""
    return " ".join(str(text).split())


def outbound_email_queue(
    *, organization, purpose, reference, to_email, to_name, subject, text_body, html_body="", from_name=None,
    secret_link="",
) -> OutboundEmail:
    """Write the email to the outbox; its delivery task is enqueued when the transaction commits.

    An email with a personal link has core.tokens.PLACEHOLDER in its bodies where the link
    goes and `secret_link` (from core.tokens.secret_link_ref) saying which link it is.
    """
    from . import tasks

    email = OutboundEmail.objects.create(
        organization=organization,
        purpose=purpose,
        reference=reference,
        from_name=one_line(from_name or organization.name),
        to_email=to_email,
        to_name=one_line(to_name),
        subject=one_line(subject),
        text_body=text_body,
        html_body=html_body,
        secret_link=secret_link,
        next_attempt_at=timezone.now(),
    )
    enqueue_on_commit(tasks.outbound_email_deliver, email.pk, 0)
    return email


# Emails queued together are delivered by one task per this many, over one SMTP connection.
DELIVERY_BATCH = 100


def outbound_emails_queue(emails: list[OutboundEmail]) -> list[OutboundEmail]:
    """Write many unsaved OutboundEmail rows in one INSERT (as outbound_email_queue does one);
    one delivery task per DELIVERY_BATCH of them is enqueued when the transaction commits."""
    from . import tasks

    now = timezone.now()
    for email in emails:
        email.from_name = one_line(email.from_name or email.organization.name)
        email.to_name, email.subject = one_line(email.to_name), one_line(email.subject)
        email.next_attempt_at = now
    emails = OutboundEmail.objects.bulk_create(emails)
    ids = [email.pk for email in emails]
    for start in range(0, len(ids), DELIVERY_BATCH):
        enqueue_on_commit(tasks.outbound_emails_deliver, ids[start : start + DELIVERY_BATCH])
    return emails


def outbound_email_bodies(email: OutboundEmail) -> tuple[str, str]:
    """The text and HTML bodies as sent: the personal link put in only here."""
    if not email.secret_link:
        return email.text_body, email.html_body
    url = secret_link_url(email.secret_link)
    return email.text_body.replace(PLACEHOLDER, url), email.html_body.replace(PLACEHOLDER, escape(url))


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    sender_address = settings.DEFAULT_FROM_EMAIL
    text_body, html_body = outbound_email_bodies(email)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=text_body,
        from_email=formataddr((email.from_name, sender_address)),
        to=[formataddr((email.to_name, email.to_email)) if email.to_name else email.to_email],
        # The same Message-ID on every try: should a try go out twice (a worker dying after the
        # server accepted it), mail programs show the recipient one email.
        headers={
            "X-Outbox-Id": str(email.pk),
            "Message-ID": f"<outbox.{email.pk}.{email.created_at:%Y%m%d%H%M%S}@{DNS_NAME}>",
        },
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    return message


def _send(email: OutboundEmail, mailer) -> tuple[str, bool]:
    """Hand the email to the mail server; returns (error, temporary), ("", False) when sent.
    A refusal's error is the server's answer as it gave it, e.g. "550 5.1.1 No such user"."""
    try:
        mailer.open()
        mailer.send_messages([_message(email)])
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
        code, answer = (
            next(iter(error.recipients.values()))
            if isinstance(error, smtplib.SMTPRecipientsRefused)
            else (error.smtp_code, error.smtp_error)
        )
        answer = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
        return f"{code} {answer}", 400 <= code < 500
    except (OSError, smtplib.SMTPException) as error:  # unreachable, dropped connection
        return f"{type(error).__name__}: {error}", True
    return "", False


def outbound_email_deliver(*, email_id: int, attempt: int | None = None, mailer=None) -> str:
    """Make try number `attempt + 1` of one outbox email unless it is sent already, or that try
    was made by another copy of the task; returns its status afterwards.

    The row stays locked while the mail server is talking. A duplicated task waits for the
    lock: it finds the email sent, or the try it carries made already (its copy ends there, so
    copies never multiply into retry chains), or, if the first task's worker died, the
    rollback has freed the row and it makes the try itself. A temporary failure (4xx,
    unreachable server) keeps it pending, sets next_attempt_at after the backoff and raises
    TemporaryEmailFailure so the task retries then; a permanent one (5xx), or a temporary one
    on the last of MAX_ATTEMPTS, marks it failed for people to see. `attempt` None (a task
    queued before tries were counted) makes whatever try is next.

    Only a worker dying between the server's "accepted" and the commit can send one twice: the
    connection is closed (QUIT) after the commit, not before, to keep that moment short. Given
    a `mailer` (a batch's open connection), it is left open for the next email, unless this
    one failed: then it is closed, and the next email connects afresh.
    """
    own_mailer = mailer is None
    mailer = mailers.default if own_mailer else mailer
    connection_sound = False
    retry_in = 0.0
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.select_for_update().get(pk=email_id)
            if email.status != OutboundEmail.Status.PENDING or attempt not in (None, email.attempts):
                connection_sound = True
                return email.status
            email.attempts += 1
            email.last_error, temporary = _send(email, mailer)
            if not email.last_error:
                email.status = OutboundEmail.Status.SENT
                email.sent_at = timezone.now()
            elif not temporary or email.attempts >= MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
            else:
                retry_in = retry_delay(email.attempts)
                email.next_attempt_at = timezone.now() + timedelta(seconds=retry_in)
            email.save(update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at"])
            connection_sound = not email.last_error
    finally:
        if own_mailer or not connection_sound:
            with contextlib.suppress(OSError, smtplib.SMTPException):  # QUIT is a courtesy: accepted is accepted
                mailer.close()
    if email.status == OutboundEmail.Status.PENDING:
        raise TemporaryEmailFailure(email.last_error, attempts=email.attempts, retry_in=retry_in)
    return email.status


def outbound_emails_deliver(*, email_ids: list[int]) -> list[TemporaryEmailFailure]:
    """Make the first try of a batch of outbox emails over one SMTP connection, each under its
    own row lock and exactly once, as outbound_email_deliver does (a redelivered batch skips
    the emails tried already); returns the temporary failures (each with its email_id), for the
    caller to retry one by one, with backoff."""
    mailer = mailers.default
    retry = []
    try:
        for email_id in email_ids:
            try:
                outbound_email_deliver(email_id=email_id, attempt=0, mailer=mailer)
            except TemporaryEmailFailure as failure:
                failure.email_id = email_id
                retry.append(failure)
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            mailer.close()
    return retry


def outbound_emails_due(*, limit: int = 1000) -> list[tuple[int, int]]:
    """(id, tries made) of pending emails whose next try is overdue by SWEEP_GRACE: their task
    was lost. Rows a worker is delivering (locked) are skipped, and those taken are marked due
    now, so the next sweep leaves them to the task queued for them for another SWEEP_GRACE.
    Emails waiting out a backoff are not due: their retry is on its way."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(status=OutboundEmail.Status.PENDING, next_attempt_at__lte=now - SWEEP_GRACE)
            .order_by("next_attempt_at")
            .values_list("pk", "attempts")[:limit]
        )
        OutboundEmail.objects.filter(pk__in=[pk for pk, _ in due]).update(next_attempt_at=now)
    return due


def table_columns_save(*, user, table_name: str, columns: list[str]) -> TablePreference:
    """Remember a person's column choice; unknown columns are dropped, at least one stays."""
    from .tables import CONFIGURABLE_TABLES

    table_class = CONFIGURABLE_TABLES[table_name]
    allowed = [name for name, _ in table_class.choosable_columns()]
    chosen = [name for name in allowed if name in set(columns)] or list(table_class.default_columns) or allowed
    preference, _ = TablePreference.objects.update_or_create(
        user=user, table=table_name, defaults={"columns": chosen}
    )
    return preference


def idempotency_keys_prune(*, now=None) -> int:
    """Forget API Idempotency-Keys older than API_KEYS_KEPT (beat, daily); returns how many.
    A client retries within minutes, not months; bulk-file keys are never forgotten."""
    cutoff = (now or timezone.now()) - API_KEYS_KEPT
    old = IdempotencyRecord.objects.filter(created_at__lt=cutoff).exclude(key__startswith=PERMANENT_KEY_PREFIX)
    return old.delete()[0]


def scheduled_job_record(*, names, sent: bool = False, done: bool = False) -> None:
    """Note that beat sent (or a worker finished) the scheduled jobs `names`, now: one statement
    per job (an upsert), so beat and workers writing at once never conflict."""
    from .models import ScheduledJobRun

    now = timezone.now()
    fields = {**({"last_sent_at": now} if sent else {}), **({"last_done_at": now} if done else {})}
    ScheduledJobRun.objects.bulk_create(
        [ScheduledJobRun(name=name, **fields) for name in names],
        update_conflicts=True, unique_fields=["name"], update_fields=list(fields),
    )
