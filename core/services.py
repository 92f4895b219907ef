"""Shared writes: the email outbox (queue in the caller's transaction, deliver exactly once
after commit) and people's saved table columns."""

import smtplib
from datetime import timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from .models import OutboundEmail, TablePreference
from .tokens import PLACEHOLDER, secret_link_url


class TemporaryEmailFailure(Exception):
    """The mail server said 'try later' (4xx) or could not be reached."""


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
    )
    transaction.on_commit(lambda: tasks.outbound_email_deliver.delay(email.pk))
    return email


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
        headers={"X-Outbox-Id": str(email.pk)},
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    return message


def _send(email: OutboundEmail) -> tuple[str, bool]:
    """Hand the email to the mail server; returns (error, temporary), ("", False) when sent."""
    try:
        _message(email).send()
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
        code = getattr(error, "smtp_code", None) or _first_recipient_code(error) or 0
        return f"{code}: {error}", 400 <= code < 500
    except (OSError, smtplib.SMTPException) as error:  # unreachable, dropped connection
        return f"{type(error).__name__}: {error}", True
    return "", False


def _first_recipient_code(error) -> int | None:
    recipients = getattr(error, "recipients", {}) or {}
    return next((code for code, _ in recipients.values()), None)


def outbound_email_deliver(*, email_id: int, final_attempt: bool = False) -> str:
    """Send one outbox email unless it is sent already; returns its status afterwards.

    The row stays locked while the mail server is talking, so a duplicated task skips it
    and never sends twice. A temporary failure (4xx, unreachable server) keeps it pending
    and raises TemporaryEmailFailure so the task retries with backoff; a permanent one
    (5xx), or a temporary one on the final attempt, marks it failed for admins to see.
    """
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None:
            return "locked"
        if email.status != OutboundEmail.Status.PENDING:
            return email.status
        email.attempts += 1
        email.last_error, temporary = _send(email)
        if not email.last_error:
            email.status = OutboundEmail.Status.SENT
            email.sent_at = timezone.now()
        elif not temporary or final_attempt:
            email.status = OutboundEmail.Status.FAILED
        email.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    if email.status == OutboundEmail.Status.PENDING:
        raise TemporaryEmailFailure(email.last_error)
    return email.status


def outbound_emails_pending(*, older_than_seconds: int = 60):
    """Pending emails whose task may have been lost (the broker was down at commit)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, created_at__lt=cutoff)


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
