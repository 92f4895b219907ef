"""Account-level rewards: an account's advocates share one balance per currency.

Money lives in the ledger (budgets.models): each account has, per currency, a `held`
ledger account (pending rewards), an `available` one and a `redeemed` one. A Reward row
says where its own money is (status, redeemed_minor); services keep both in step in one
transaction, with conditional updates on the reward row and on the ledger balances.
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from budgets.models import LedgerAccount
from core.money import Money
from tenancy.models import ApiKey, TenantModel, TenantQuerySet
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    UI = "ui", _("Web")
    BULK = "bulk", _("Bulk upload")
    API = "api", _("API")
    SYSTEM = "system", _("System")


class RewardAccount(TenantModel):
    name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=100, help_text=_("The account's id in your own system."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "external_id"], name="reward_account_external_id_unique")
        ]

    def __str__(self):
        return self.name


class RewardBalance(TenantModel):
    """An account's three ledger accounts in one currency (created with its first reward in it)."""

    account = models.ForeignKey(RewardAccount, on_delete=models.PROTECT, related_name="balances")
    currency = models.CharField(max_length=3)
    held_account = models.OneToOneField(LedgerAccount, on_delete=models.PROTECT, related_name="+")
    available_account = models.OneToOneField(LedgerAccount, on_delete=models.PROTECT, related_name="+")
    redeemed_account = models.OneToOneField(LedgerAccount, on_delete=models.PROTECT, related_name="+")
    # What redemption files awaiting approval reserve (docs/approvals.md): moved out of available
    # so nothing else can spend it, back when the file is approved (then redeemed) or rejected.
    # Made the first time a file reserves from this balance.
    reserved_account = models.OneToOneField(LedgerAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(fields=["account", "currency"], name="reward_balance_one_per_currency")
        ]

    def __str__(self):
        return f"{self.account} ({self.currency})"

    @property
    def available(self) -> Money:
        return Money(self.available_account.balance_minor, self.currency)

    @property
    def pending(self) -> Money:
        return Money(self.held_account.balance_minor, self.currency)

    @property
    def redeemed(self) -> Money:
        return Money(self.redeemed_account.balance_minor, self.currency)

    @property
    def reserved(self) -> Money:
        """Reserved by redemption files awaiting approval."""
        return Money(self.reserved_account.balance_minor if self.reserved_account_id else 0, self.currency)


class RewardProgram(TenantModel):
    """What a reward is for and the rules it is given under (impact.com Advocate's reward
    settings): its currency (or points), a fixed amount or one given with each reward, a
    pending period, the W-9 rule, an expiry and whether its rewards may be cancelled."""

    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, help_text=_("ISO 4217 code, or PTS for loyalty points."))
    amount_minor = models.BigIntegerField(
        null=True, blank=True, help_text=_("Every reward of the program is this amount; empty: the amount is given with each reward.")
    )
    pending_days = models.PositiveIntegerField(default=0, help_text=_("Days a new reward stays pending before it can be redeemed."))
    w9_above_threshold = models.BooleanField(
        default=True,
        help_text=_("Hold rewards for a W-9 once the advocate's rewards this calendar year are above the organization's tax threshold."),
    )
    expires_after_days = models.PositiveIntegerField(null=True, blank=True, help_text=_("Unredeemed rewards expire this many days after they are given; empty: never."))
    cancellation_allowed = models.BooleanField(default=True, help_text=_("Its rewards may be cancelled (within two years of their event)."))
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="reward_program_name_unique"),
            models.CheckConstraint(condition=Q(amount_minor__isnull=True) | Q(amount_minor__gt=0), name="reward_program_amount_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def amount(self) -> Money | None:
        return None if self.amount_minor is None else Money(self.amount_minor, self.currency)


class Advocate(TenantModel):
    """A participant of an account: every advocate of the account sees and spends its rewards."""

    account = models.ForeignKey(RewardAccount, on_delete=models.PROTECT, related_name="advocates")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    w9_submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~Q(external_id=""),
                name="advocate_external_id_unique",
            )
        ]

    def __str__(self):
        return self.name


class RewardQuerySet(TenantQuerySet):
    def pending_due(self, now):
        """Scheduled rewards whose pending period has ended."""
        return self.filter(status=Reward.Status.PENDING, pending_reason=Reward.PendingReason.SCHEDULED, available_at__lte=now)

    def expiry_due(self, now):
        return self.filter(status__in=[Reward.Status.PENDING, Reward.Status.AVAILABLE], expires_at__lte=now)


class Reward(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        AVAILABLE = "available", _("Available")
        REDEEMED = "redeemed", _("Redeemed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    class PendingReason(models.TextChoices):
        NONE = "", "—"
        SCHEDULED = "scheduled", _("Pending period")
        W9_REQUIRED = "w9_required", _("Waiting for W-9")

    account = models.ForeignKey(RewardAccount, on_delete=models.PROTECT, related_name="rewards")
    advocate = models.ForeignKey(
        Advocate, null=True, blank=True, on_delete=models.PROTECT, related_name="rewards", help_text=_("Who earned it.")
    )
    program = models.ForeignKey(
        RewardProgram, null=True, blank=True, on_delete=models.PROTECT, related_name="rewards", help_text=_("The program that made it.")
    )
    external_id = models.CharField(max_length=100, blank=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    redeemed_minor = models.BigIntegerField(default=0)
    source_event = models.CharField(max_length=200, help_text=_("What earned it, e.g. “Referral: Jo signed up”."))
    event_at = models.DateTimeField(help_text=_("When the source event happened (the two-year cancel rule counts from it)."))
    status = models.CharField(max_length=20, choices=Status.choices)
    pending_reason = models.CharField(max_length=20, choices=PendingReason.choices, blank=True)
    available_at = models.DateTimeField(null=True, blank=True, help_text=_("End of the pending period."))
    w9_required = models.BooleanField(default=False, help_text=_("Held until its advocate's W-9 is marked."))
    expires_at = models.DateTimeField(null=True, blank=True)
    # What a cancelled reward was before, so un-cancel can restore it.
    status_before_cancel = models.CharField(max_length=20, choices=Status.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RewardQuerySet.as_manager()

    class Meta:
        ordering = ["-event_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="reward_amount_positive"),
            models.CheckConstraint(
                condition=Q(redeemed_minor__gte=0) & Q(redeemed_minor__lte=F("amount_minor")),
                name="reward_redeemed_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", pending_reason__in=["scheduled", "w9_required"])
                | (~Q(status="pending") & Q(pending_reason="")),
                name="reward_pending_has_reason",
            ),
            models.UniqueConstraint(
                fields=["organization", "external_id"], condition=~Q(external_id=""), name="reward_external_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["status", "available_at"])]

    def __str__(self):
        return f"{self.money(self.amount_minor)} for {self.source_event}"

    def money(self, amount_minor: int) -> Money:
        return Money(amount_minor, self.currency)

    @property
    def left_minor(self) -> int:
        """What is still to redeem (available rewards) or to come (pending ones)."""
        return self.amount_minor - self.redeemed_minor

    @property
    def available_minor(self) -> int:
        """What can be redeemed now."""
        return self.left_minor if self.status == self.Status.AVAILABLE else 0

    @property
    def left(self) -> Money:
        return self.money(self.left_minor)

    @property
    def partly_redeemed(self) -> bool:
        return self.status == self.Status.AVAILABLE and self.redeemed_minor > 0


class RewardEvent(TenantModel):
    """The audit trail of a reward: who did what, when, through which channel."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        RELEASED = "released", _("Made available")
        REDEEMED = "redeemed", _("Redeemed")
        CANCELLED = "cancelled", _("Cancelled")
        UNCANCELLED = "uncancelled", _("Un-cancelled")
        EXPIRED = "expired", _("Expired")
        W9_HELD = "w9_held", _("Held for W-9 again")

    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    amount_minor = models.BigIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=200)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        # The audit trail is append-only, like the ledger: the database refuses UPDATE and DELETE.
        triggers = [pgtrigger.Protect(name="reward_event_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_label}"


class AdvocateEvent(TenantModel):
    """An advocate's own audit trail: the W-9 marked as submitted, and that mark undone."""

    class Action(models.TextChoices):
        W9_MARKED = "w9_marked", _("W-9 marked as submitted")
        W9_UNMARKED = "w9_unmarked", _("W-9 mark undone")

    advocate = models.ForeignKey(Advocate, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        triggers = [pgtrigger.Protect(name="advocate_event_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_label}"


class Redemption(TenantModel):
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=200)
    idempotency_key = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="redemption_amount_positive")]
        triggers = [pgtrigger.Protect(name="redemption_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return f"{Money(self.amount_minor, self.currency)} from reward {self.reward_id}"
