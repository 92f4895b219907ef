"""One incentive is one payment to one participant for one study, claimed through a link."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _, gettext_lazy, pgettext_lazy

from budgets.models import Budget
from core.crypto import unseal
from core.models import OutboundEmail
from core.money import Money
from studies.models import Participant, Study
from tenancy.models import Organization, TenantModel, TenantQuerySet


# How an incentive's ledger transactions and outbox emails name it: "incentive:<id>".
REFERENCE_PREFIX = "incentive:"


class IncentiveQuerySet(TenantQuerySet):
    def unclaimed(self):
        return self.filter(status=Incentive.Status.UNCLAIMED)

    def sent_before(self, when):
        return self.filter(sent_at__lt=when)


def email_failures_attach(incentives, *, organization) -> None:
    """Set `email_failure` on each incentive: the mail server's answer when its latest email
    (its claim email or a reminder) could not be delivered, else empty. One query for the
    page's rows (DISTINCT ON the reference, newest first), not a subquery per row."""
    by_reference = {incentive.reference: incentive for incentive in incentives}
    for incentive in incentives:
        incentive.email_failure = ""
    if not by_reference:
        return
    latest = (
        OutboundEmail.objects.filter(organization=organization, reference__in=list(by_reference))
        .order_by("reference", "-pk")
        .distinct("reference")
        .values_list("reference", "status", "last_error")
    )
    for reference, status, error in latest:
        if status == OutboundEmail.Status.FAILED:
            by_reference[reference].email_failure = error


class PayoutStatus(models.TextChoices):
    OWED = "owed", pgettext_lazy("payout status", "Owed")
    IN_BATCH = "in_batch", pgettext_lazy("payout status", "In a batch")
    PAID = "paid", pgettext_lazy("payout status", "Paid")
    RETURNED = "returned", pgettext_lazy("payout status", "Returned")
    ABANDONED = "abandoned", pgettext_lazy("payout status", "Abandoned")


class Incentive(TenantModel):
    PayoutStatus = PayoutStatus

    class Status(models.TextChoices):
        # Above the organization's approval threshold: its money is reserved, no email went
        # out; approving makes it unclaimed (and emails it), rejecting cancels it.
        AWAITING_APPROVAL = "awaiting_approval", pgettext_lazy("incentive status", "Awaiting approval")
        UNCLAIMED = "unclaimed", pgettext_lazy("incentive status", "Unclaimed")
        CLAIMED = "claimed", pgettext_lazy("incentive status", "Claimed")
        CANCELLED = "cancelled", pgettext_lazy("incentive status", "Cancelled")
        EXPIRED = "expired", pgettext_lazy("incentive status", "Expired")

    PayoutMethod = Organization.PayoutMethod

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="incentives")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="incentives")
    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="incentives")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UNCLAIMED)
    approval = models.ForeignKey(
        "approvals.Approval", null=True, blank=True, on_delete=models.PROTECT, related_name="incentives"
    )
    # The claim link's token is HMAC(SECRET_KEY, nonce): the database holds the nonce and the
    # token's SHA-256, never the token (see incentives/tokens.py and docs/architecture.md).
    token_nonce = models.CharField(max_length=64, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    subject = models.CharField(max_length=200)
    message = models.TextField(blank=True, help_text=gettext_lazy("The thank-you text the researcher wrote."))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField()
    claim_email = models.ForeignKey(OutboundEmail, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    # The ledger transaction that returned its money when it was cancelled or expired; a bulk
    # cancel's release covers the incentives of one budget in one chunk (reference
    # "incentives:bulk"), a single one's names it ("incentive:<id>").
    release_transaction = models.ForeignKey(
        "budgets.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="released_incentives"
    )
    reminder_count = models.PositiveIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    payout_method = models.CharField(max_length=20, choices=PayoutMethod.choices, blank=True)
    # Where a claimed incentive's money is (docs/payouts.md): owed (payable), in a batch, paid,
    # returned by the bank (payable again, waiting for corrected details) or abandoned.
    payout_status = models.CharField(max_length=10, choices=PayoutStatus.choices, blank=True, default="")
    # The payout details the participant typed, sealed with Fernet (core/crypto.py) and erased
    # after the payout is paid; the masked form ("FR76 •••• 1234") stays for every page.
    payout_details_sealed = models.TextField(blank=True, default="")
    payout_details_masked = models.JSONField(default=dict, blank=True)
    payout_details_erased_at = models.DateTimeField(null=True, blank=True)
    payout_sent_at = models.DateTimeField(null=True, blank=True)
    payout_returned_at = models.DateTimeField(null=True, blank=True)
    payout_return_reason = models.CharField(max_length=300, blank=True)
    payout_abandoned_at = models.DateTimeField(null=True, blank=True)
    # Above the yearly tax threshold without a W-9 on file: the claim page asks for the W-9 and
    # the payout waits until the participant's W-9 is marked received (incentives.tax).
    w9_hold = models.BooleanField(default=False)

    objects = IncentiveQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            # One live payment per participant and study: a double click, a retried request or
            # two concurrent sends pay once. A cancelled or expired one may be sent again.
            models.UniqueConstraint(
                fields=["study", "participant"],
                condition=Q(status__in=["awaiting_approval", "unclaimed", "claimed"]),
                name="incentive_paid_once_per_study",
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="incentive_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "sent_at"]),
            models.Index(fields=["organization", "sent_at"]),
            models.Index(fields=["budget", "status"]),
            # One study's rows by status and sent date, in the table's (sent_at, id) order. With
            # it, migration 0006 adds extended statistics on (organization, study, budget, status).
            models.Index(fields=["study", "status", "sent_at", "id"], name="incentive_study_status_sent"),
            # The Recipients table's sorts, (column, id) as its order_by says: a page is a
            # short index walk, either way, not a sort of the organization's every row.
            models.Index(fields=["organization", "amount_minor", "id"], name="incentive_sort_amount"),
            models.Index(fields=["organization", "status", "id"], name="incentive_sort_status"),
            models.Index(fields=["organization", "reminder_count", "id"], name="incentive_sort_reminders"),
            models.Index(fields=["organization", "last_reminded_at", "id"], name="incentive_sort_reminded"),
            models.Index(fields=["organization", "claimed_at", "id"], name="incentive_sort_claimed"),
            models.Index(fields=["organization", "cancelled_at", "id"], name="incentive_sort_cancelled"),
            models.Index(fields=["organization", "payout_status", "payout_method", "currency"], name="incentive_payout_status"),
        ]

    def __str__(self):
        return _("%(amount)s to %(name)s (%(status)s)") % {"amount": self.amount, "name": self.participant.name, "status": self.get_status_display()}

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX}{self.pk}"

    @property
    def payout_details(self) -> dict:
        """The details in clear, for the payout file only; {} once erased."""
        return unseal(self.payout_details_sealed)

    @property
    def payout_destination(self) -> str:
        """Where the money goes, masked: "bank transfer to FR76 •••• 1234"."""
        masked = self.payout_details_masked or {}
        method = self.get_payout_method_display().lower()
        target = masked.get("iban") or masked.get("gift_card_email") or masked.get("charity_name")
        return _("%(method)s to %(target)s") % {"method": method, "target": target} if target else method


class W9Submission(TenantModel):
    """A participant's Form W-9, filled in on the claim page of an incentive held for it.

    The TIN is sealed with core.crypto (its `_sealed` column shows as hidden in the audit log);
    only its last four digits are kept beside it, for every page. An owner or admin reviews it:
    accepting it records the participant's W-9 and releases all their incentives held for it.
    """

    class TinType(models.TextChoices):
        SSN = "ssn", _("SSN (Social Security number)")
        EIN = "ein", _("EIN (Employer Identification Number)")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("W-9 status", "Awaiting review")
        ACCEPTED = "accepted", pgettext_lazy("W-9 status", "Accepted")

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="w9_submissions")
    incentive = models.ForeignKey(Incentive, on_delete=models.PROTECT, related_name="w9_submissions")
    legal_name = models.CharField(max_length=200)
    tin_type = models.CharField(max_length=3, choices=TinType.choices)
    tin_sealed = models.TextField()
    tin_last4 = models.CharField(max_length=4)
    address = models.TextField(max_length=500)
    certified_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # One W-9 waiting for review per person: a second click or a second link finds it.
            models.UniqueConstraint(fields=["participant"], condition=Q(status="submitted"), name="w9_one_waiting_per_participant"),
        ]

    def __str__(self):
        return _("W-9 of %(name)s (%(tin)s)") % {"name": self.legal_name, "tin": self.tin_masked}

    @property
    def tin_masked(self) -> str:
        """What every page shows: the TIN's type and last four digits, "SSN •••-••-6789"."""
        return f"SSN •••-••-{self.tin_last4}" if self.tin_type == self.TinType.SSN else f"EIN ••-•••{self.tin_last4}"
