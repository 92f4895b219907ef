"""A payment above the organization's threshold, waiting for a second owner or admin.

The request has reserved its money already (a ledger transaction, where the payment has a
budget); approving runs the payment as if it were made then, rejecting releases the money.
What a kind does on each is in approvals/kinds.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from budgets.models import Budget, LedgerTransaction
from core.money import Money
from tenancy.models import TenantModel, TenantQuerySet


class ApprovalQuerySet(TenantQuerySet):
    def pending(self):
        return self.filter(status=Approval.Status.PENDING)

    def for_reference(self, reference: str):
        return self.filter(reference=reference)


class Approval(TenantModel):
    class Kind(models.TextChoices):
        INCENTIVES_SEND = "incentives_send", _("Incentives send")
        BUDGET_WITHDRAWAL = "budget_withdrawal", _("Budget withdrawal")
        REWARDS_BULK = "rewards_bulk", _("Bulk redemption file")
        REWARDS_BULK_CREATE = "rewards_bulk_create", _("Bulk reward creation file")
        OFFER_GRANT = "offer_grant", _("Offer grant")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    summary = models.CharField(max_length=300, help_text=_("What will happen, for people."))
    amount_minor = models.BigIntegerField(help_text=_("The request's total."))
    currency = models.CharField(max_length=3)
    per_participant_minor = models.BigIntegerField(null=True, blank=True)
    # What it concerns, as the ledger names it ("study:3", "budget:4", "offer:7"), and its page.
    reference = models.CharField(max_length=100)
    link = models.CharField(max_length=300, blank=True)
    budget = models.ForeignKey(Budget, null=True, blank=True, on_delete=models.PROTECT, related_name="approvals")
    # What the kind needs to run it later (a withdrawal's memo, an offer's terms, a file).
    payload = models.JSONField(default=dict, blank=True)
    reservation = models.ForeignKey(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release = models.ForeignKey(LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_label = models.CharField(max_length=200, blank=True, help_text=_("Who decided, and through which channel."))
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text=_("Why it was rejected."))
    outcome = models.CharField(max_length=500, blank=True, help_text=_("What running it did."))

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status", "id"]),
            models.Index(fields=["organization", "reference"]),
        ]
        constraints = [
            # The two-person rule, backed by the database as well as by the service.
            models.CheckConstraint(condition=~Q(decided_by=F("requested_by")), name="approval_two_people"),
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(reason=""), name="approval_rejection_has_reason"),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True) | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="approval_decided_when_not_pending",
            ),
        ]

    def __str__(self):
        return f"Approval #{self.pk}: {self.summary}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def per_participant(self) -> Money | None:
        return None if self.per_participant_minor is None else Money(self.per_participant_minor, self.currency)

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
