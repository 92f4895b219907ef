"""Budgets and the double-entry ledger.

Every movement of money is one LedgerTransaction whose LedgerEntry amounts sum to zero.
Each LedgerAccount caches its balance, changed in the same database transaction as its
entries by a conditional UPDATE, and a CHECK constraint keeps it from going negative
(except the organization's external account, which is where money comes from).
Entries and transactions are never edited or deleted: database triggers refuse it.
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core.money import Money
from tenancy.models import TenantModel, TenantQuerySet


class LedgerAccount(TenantModel):
    class Kind(models.TextChoices):
        EXTERNAL = "external", pgettext_lazy("ledger account", "External funding")
        AVAILABLE = "available", pgettext_lazy("ledger account", "Available")
        RESERVED = "reserved", pgettext_lazy("ledger account", "Reserved")
        PAYABLE = "payable", pgettext_lazy("ledger account", "Payable")
        PAID_OUT = "paid_out", pgettext_lazy("ledger account", "Paid out")
        HELD = "held", pgettext_lazy("ledger account", "Held")
        REDEEMED = "redeemed", pgettext_lazy("ledger account", "Redeemed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    currency = models.CharField(max_length=3)
    name = models.CharField(max_length=250)
    # The cached balance the conditional UPDATE guards. An external-funding account keeps none
    # (always 0: it may go negative, so a cache would protect nothing and serialise every write
    # of the organization on its row); its balance is the sum of its entries.
    balance_minor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="external", balance_minor=0) | (~Q(kind="external") & Q(balance_minor__gte=0)),
                name="ledger_account_balance_not_negative",
            ),
            models.UniqueConstraint(
                fields=["organization", "currency"],
                condition=Q(kind="external"),
                name="one_external_account_per_currency",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def balance(self) -> Money:
        return Money(self.balance_minor, self.currency)


class BudgetQuerySet(TenantQuerySet):
    def with_accounts(self):
        return self.select_related("available_account", "reserved_account", "payable_account", "paid_out_account")


class Budget(TenantModel):
    """Money set aside for incentives, in one currency, held in four ledger accounts: available,
    reserved (sent, not yet claimed), payable (claimed, owed to participants, not yet paid) and
    paid out."""

    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="USD")
    description = models.TextField(blank=True)
    available_account = models.OneToOneField(
        LedgerAccount, on_delete=models.PROTECT, related_name="+"
    )
    reserved_account = models.OneToOneField(
        LedgerAccount, on_delete=models.PROTECT, related_name="+"
    )
    payable_account = models.OneToOneField(
        LedgerAccount, on_delete=models.PROTECT, related_name="+", 
    )
    paid_out_account = models.OneToOneField(
        LedgerAccount, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BudgetQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="budget_name_unique")
        ]

    def __str__(self):
        return self.name

    @property
    def available_minor(self) -> int:
        return self.available_account.balance_minor

    @property
    def reserved_minor(self) -> int:
        """Sent to participants and not yet claimed or cancelled."""
        return self.reserved_account.balance_minor

    @property
    def payable_minor(self) -> int:
        """Claimed and owed to participants, not yet paid (or paid and returned by the bank)."""
        return self.payable_account.balance_minor

    @property
    def paid_out_minor(self) -> int:
        return self.paid_out_account.balance_minor

    @property
    def funded_minor(self) -> int:
        """Everything put in and not withdrawn: available + reserved + payable + paid out."""
        return self.available_minor + self.reserved_minor + self.payable_minor + self.paid_out_minor

    def money(self, amount_minor: int) -> Money:
        return Money(amount_minor, self.currency)


class LedgerTransaction(TenantModel):
    class Kind(models.TextChoices):
        FUND = "fund", pgettext_lazy("ledger transaction", "Fund")
        WITHDRAW = "withdraw", pgettext_lazy("ledger transaction", "Withdraw")
        RESERVE = "reserve", pgettext_lazy("ledger transaction", "Reserve (send)")
        RELEASE = "release", pgettext_lazy("ledger transaction", "Release (cancel or expire)")
        SETTLE = "settle", pgettext_lazy("ledger transaction", "Settle (claim)")
        PAYOUT_SENT = "payout_sent", pgettext_lazy("ledger transaction", "Payout sent")
        PAYOUT_RETURNED = "payout_returned", pgettext_lazy("ledger transaction", "Payout returned")
        PAYOUT_ABANDONED = "payout_abandoned", pgettext_lazy("ledger transaction", "Payout abandoned")
        RECLASSIFY = "reclassify", pgettext_lazy("ledger transaction", "Reclassified (claimed, not yet paid)")
        REVERSAL = "reversal", pgettext_lazy("ledger transaction", "Reversal")
        REWARD_CREATE = "reward_create", pgettext_lazy("ledger transaction", "Reward created")
        REWARD_RELEASE = "reward_release", pgettext_lazy("ledger transaction", "Reward made available")
        REWARD_REDEEM = "reward_redeem", pgettext_lazy("ledger transaction", "Reward redeemed")
        REWARD_CANCEL = "reward_cancel", pgettext_lazy("ledger transaction", "Reward cancelled")
        REWARD_UNCANCEL = "reward_uncancel", pgettext_lazy("ledger transaction", "Reward un-cancelled")
        REWARD_EXPIRE = "reward_expire", pgettext_lazy("ledger transaction", "Reward expired")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    budget = models.ForeignKey(
        Budget, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text=_("Who or what made it."))
    reference = models.CharField(max_length=100, blank=True, help_text=_("What it concerns."))
    memo = models.CharField(max_length=500, blank=True)
    # A correction: the transaction this one undoes (a transaction is reversed at most once).
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    # What an owner may correct by hand: the movements they made themselves. The rest are undone
    # by their own service (a cancel releases a send; a reward cancel reverses its creation).
    CORRECTABLE = ("fund", "withdraw")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reference"])]
        triggers = [pgtrigger.Protect(name="ledger_transaction_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_correctable(self) -> bool:
        """A fund or withdrawal not yet reversed (`reversed_by` must be fetched with it)."""
        if self.kind not in self.CORRECTABLE:
            return False
        try:
            self.reversed_by
        except LedgerTransaction.DoesNotExist:
            return True
        return False


class LedgerEntry(TenantModel):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount_minor = models.BigIntegerField(help_text=_("Positive: into the account; negative: out."))

    class Meta:
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_entry_not_zero")
        ]
        triggers = [pgtrigger.Protect(name="ledger_entry_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return f"{self.account}: {self.amount_minor:+d}"
