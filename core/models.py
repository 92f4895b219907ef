import datetime

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantModel, TenantQuerySet

# Idempotency keys of bulk files ("bulk:<SHA-256 of the file>:<line>") are kept for good: a file
# is applied once, however late it is uploaded again. API Idempotency-Keys are kept 30 days.
PERMANENT_KEY_PREFIX = "bulk:"
API_KEYS_KEPT = datetime.timedelta(days=30)


class OutboundEmail(TenantModel):
    """The outbox: one row per email, written in the same transaction as the change it reports.

    A Celery task delivers each row once (see core.services.outbound_email_deliver); a beat
    job re-enqueues rows whose task was lost. Admins read the outbox at /outbox/.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to send")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    purpose = models.CharField(max_length=50, help_text=_("e.g. incentive_claim, incentive_reminder"))
    reference = models.CharField(max_length=100, blank=True, help_text=_("What it concerns, e.g. incentive:42"))
    from_name = models.CharField(max_length=200)
    to_email = models.EmailField()
    to_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    # The bodies hold core.tokens.PLACEHOLDER where a personal link goes; this reference
    # (e.g. "incentive-claim:42") rebuilds the link at delivery, so it is never stored.
    secret_link = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When the next try is due: at once when queued, then after each temporary refusal's backoff.
    # The sweep takes only pending rows overdue by a minute (their task was lost), never those
    # waiting out a backoff.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)


    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["reference"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self):
        return f"{self.subject} → {self.to_email}"


class TablePreference(models.Model):
    """The columns a person chose for one table (the column chooser remembers it)."""

    user = models.ForeignKey("tenancy.User", on_delete=models.CASCADE, related_name="table_preferences")
    table = models.CharField(max_length=100)
    columns = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "table"], name="table_preference_unique")]

    def __str__(self):
        return f"{self.user}: {self.table}"


class IdempotencyRecordQuerySet(TenantQuerySet):
    def claim(self, *, organization, key: str, **fields) -> "IdempotencyRecord | None":
        """The new record of `key`, or None when the organization holds the key already; in a
        savepoint, so the caller's transaction goes on either way."""
        try:
            with transaction.atomic():
                return self.create(organization=organization, key=key, **fields)
        except IntegrityError:
            return None


class IdempotencyRecord(TenantModel):
    """One use of an Idempotency-Key (API) or of a bulk file's row: the request's fingerprint
    and, once done, its response. Keys starting with PERMANENT_KEY_PREFIX are kept for good;
    the others are forgotten after API_KEYS_KEPT (core.services.idempotency_keys_prune).

    A row without `status_code` is a request still in flight.
    """

    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IdempotencyRecordQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="idempotency_record_key_unique")]

    def __str__(self):
        return self.key


class ScheduledJobRun(models.Model):
    """When beat last sent each job of CELERY_BEAT_SCHEDULE, and a worker last finished it; the
    row named BEAT_STARTED holds beat's start. The System status page and the owners' banner
    read it (core/system.py). Not a tenant's data: one row per job for the whole installation."""

    BEAT_STARTED = "(beat started)"

    name = models.CharField(max_length=100, unique=True, help_text=_("A key of CELERY_BEAT_SCHEDULE."))
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_done_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name
