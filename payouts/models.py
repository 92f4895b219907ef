"""Payouts: the fulfilment half of the money flow (docs/payouts.md).

A claimed incentive is owed (its money payable). A PayoutBatch gathers what is owed by one
payout method in one currency; each of its Payouts pays one incentive once. Marking the batch
sent moves its money payable -> paid out; a payout the bank returns moves it back.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import Money
from incentives.models import Incentive
from tenancy.models import Organization, TenantModel, TenantQuerySet


class PayoutBatch(TenantModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Made, not yet sent")
        SENT = "sent", _("Sent")

    method = models.CharField(max_length=20, choices=Organization.PayoutMethod.choices)
    currency = models.CharField(max_length=3)
    provider = models.CharField(max_length=30, default="manual")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    payout_count = models.PositiveIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "payout batches"
        indexes = [models.Index(fields=["organization", "created_at", "id"], name="payout_batch_recent")]

    def __str__(self):
        return f"Batch {self.pk}: {self.get_method_display()} in {self.currency}"

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)

    @property
    def is_sepa(self) -> bool:
        return self.method == Organization.PayoutMethod.BANK_TRANSFER and self.currency == "EUR"


class Payout(TenantModel):
    """One attempt to pay one incentive. An incentive has at most one live payout (pending or
    sent), so it sits in one batch only and is never paid twice; a failed or returned payout
    leaves room for the next attempt."""

    class Status(models.TextChoices):
        PENDING = "pending", _("In the batch")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        RETURNED = "returned", _("Returned")

    LIVE = [Status.PENDING, Status.SENT]

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="payouts")
    incentive = models.ForeignKey(Incentive, on_delete=models.PROTECT, related_name="payouts")
    method = models.CharField(max_length=20, choices=Organization.PayoutMethod.choices)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    provider_reference = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text=_("The bank's or provider's reason it failed."))
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incentive"], condition=Q(status__in=["pending", "sent"]), name="payout_one_live_per_incentive"
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payout_amount_positive"),
        ]

    def __str__(self):
        return f"Payout {self.pk} of {self.amount}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def idempotency_key(self) -> str:
        """What a provider must be given to pay this payout at most once (Tremendous's
        external_id, Tango's externalRefID, PayPal's sender_item_id)."""
        return f"gratia-payout-{self.pk}"
