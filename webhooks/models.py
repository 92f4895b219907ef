"""Webhook endpoints an organization registers, the events it emits and their deliveries.

An event is written once (one `evt_…` id, the body as it is sent) in the transaction of the
change it reports; each endpoint subscribed to its type gets one WebhookDelivery row, which
the delivery task sends and the sweep retries (docs/webhooks.md).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantModel, TenantQuerySet


class WebhookEndpointQuerySet(TenantQuerySet):
    def enabled(self):
        return self.filter(disabled_at__isnull=True)

    def subscribed_to(self, event_type: str):
        return self.enabled().filter(events__contains=[event_type])


class WebhookEndpoint(TenantModel):
    """A URL of the organization's own systems that receives the events it subscribed to.

    Its signing secret is never stored: it is derived from `secret_nonce` and SECRET_KEY
    (webhooks.signing), like every token of the project, so a copy of the database can't sign.
    """

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=50))
    secret_nonce = models.CharField(max_length=64, unique=True)
    secret_prefix = models.CharField(max_length=12, help_text=_("The secret's first characters, to recognise it."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Start of the current run of failed attempts (None after a success): a day of it disables the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.url

    @property
    def is_enabled(self) -> bool:
        return self.disabled_at is None


class WebhookEvent(TenantModel):
    """One thing that happened, as receivers see it: `event_id` is the `webhook-id` header of
    every attempt and every replay, so receivers can de-duplicate."""

    event_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=50)
    body = models.TextField(help_text=_("The JSON body exactly as sent: type, timestamp, data."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "created_at"])]

    def __str__(self):
        return f"{self.event_id} ({self.type})"


class WebhookDeliveryQuerySet(TenantQuerySet):
    def pending(self):
        return self.filter(status=WebhookDelivery.Status.PENDING)

    def due(self, now):
        return self.pending().filter(next_attempt_at__lte=now, endpoint__disabled_at__isnull=True)


class WebhookDelivery(TenantModel):
    """One event to one endpoint: tried until a 2xx answer, for up to three days. A replay is a
    new delivery of the same event (same event id)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.PROTECT, related_name="deliveries")
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A replay clicked twice, or replays racing, queue one delivery: one pending per event and endpoint.
            models.UniqueConstraint(
                fields=["endpoint", "event"], condition=Q(status="pending"), name="webhook_delivery_one_pending"
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self):
        return f"delivery {self.pk} of event {self.event_id} to endpoint {self.endpoint_id}"
