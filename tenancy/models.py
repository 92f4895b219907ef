import hashlib
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .currencies import money_currencies


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=email.strip().lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address; may belong to several organizations."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Empty: the browser's language. Set, it wins over the browser (tenancy.middleware) and is
    # the language of the emails this person gets.
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES,
        help_text=_("Empty: the language your browser asks for."),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self):
        return self.name or self.email

    def clean(self):
        super().clean()
        self.email = self.email.strip().lower()

    @property
    def email_language(self) -> str:
        """The language of the emails this person gets: their setting, else the default (an
        email is written in a worker or for someone else's request: no browser to ask)."""
        return self.language or settings.LANGUAGE_CODE


class Organization(models.Model):
    """A tenant. Its settings hold the incentive policies researchers edit in Settings."""

    class PayoutMethod(models.TextChoices):
        GIFT_CARD = "gift_card", _("Gift card")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CHARITY = "charity", _("Charity donation")

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claims_allowed_after_study_closes = models.BooleanField(
        default=True,
        help_text=_("Participants may still claim incentives sent before their study closed."),
    )
    payout_methods = models.JSONField(
        default=list, blank=True, help_text=_("Payout methods offered on the claim page.")
    )
    reminder_days = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Days after sending when an unclaimed incentive gets a reminder, e.g. [7, 21]."),
    )
    reminder_max = models.PositiveSmallIntegerField(
        _("most reminders per incentive"),
        null=True,
        blank=True,
        help_text=_(
            "Automatic reminders stop once an incentive has had this many, resends by "
            "hand included; empty: one on each reminder day."
        ),
    )
    unclaimed_expire_after_days = models.PositiveIntegerField(
        _("expire unclaimed incentives after (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Incentives unclaimed this many days after sending expire and their money "
            "returns to the budget; empty: never."
        ),
    )
    # Two-person rule (approvals app): a payment above either threshold waits for another owner
    # or admin. Empty: no threshold. Amounts in another currency than `approval_currency` can't
    # be compared without an exchange rate, so while a threshold is set they always wait.
    approval_currency = models.CharField(_("approval thresholds' currency"), max_length=3, default="USD")
    approval_total_above_minor = models.BigIntegerField(
        "approval above (per request, in total)", null=True, blank=True,
        help_text=_("A send, withdrawal, bulk reward file or offer grant above this total waits for approval."),
    )
    approval_participant_above_minor = models.BigIntegerField(
        "approval above (per participant)", null=True, blank=True,
        help_text=_("A payment of more than this to any one person waits for approval."),
    )

    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        help_text=_("Dates and times on this organization's pages are shown in it (an IANA name, e.g. Europe/Paris)."),
    )
    reporting_currency = models.CharField(
        max_length=3,
        default="USD",
        help_text=_("The currency of yearly tax totals and of the tax threshold."),
    )

    # Payouts (docs/payouts.md).
    reply_to_email = models.EmailField(
        "reply-to address", blank=True,
        help_text=_("Where participants' replies go, and whom a cancelled or returned payout tells them to contact."),
    )
    payout_providers = models.JSONField(
        default=dict, blank=True, help_text=_("Which payout provider pays each payout method; unset: the manual batch provider.")
    )
    payout_arrival_days = models.PositiveSmallIntegerField(
        _("payouts arrive within (days)"), default=7,
        help_text=_("Told to participants when they claim: how many days a payout takes to reach them."),
    )
    payout_abandon_after_days = models.PositiveIntegerField(
        _("abandon returned payouts after (days)"), null=True, blank=True, default=90,
        help_text=_(
            "A returned payout whose details are not corrected this many days after it came back is abandoned "
            "and its money returns to the budget; empty: never."
        ),
    )
    payout_details_erase_after_days = models.PositiveIntegerField(
        _("erase payout details after (days)"), default=30,
        help_text=_("Days after a payout is paid when its details (IBAN, account holder, email) are erased, leaving the masked form."),
    )
    sepa_debtor_name = models.CharField(_("SEPA: paying account's holder"), max_length=70, blank=True)
    sepa_debtor_iban = models.CharField(_("SEPA: paying account's IBAN"), max_length=34, blank=True)
    sepa_debtor_bic = models.CharField(_("SEPA: paying account's BIC"), max_length=11, blank=True)

    # Modules an organization may not use: switched off, their menu item is gone and their pages
    # are not found (settings.ORGANIZATION_MODULE_PATHS; tenancy.middleware).
    offers_enabled = models.BooleanField(
        _("Offers"), default=True, help_text=_("Provider offers to recipients: My Offers, link templates, programs, provider profile.")
    )
    rewards_enabled = models.BooleanField(
        _("Rewards"), default=True, help_text=_("Reward accounts, their participants and bulk reward files.")
    )

    def __str__(self):
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    @property
    def tax_currency(self) -> str:
        """The reporting currency, or USD if the stored code is no money (saved before the
        settings form refused such codes): the tax pages never fail on it."""
        code = (self.reporting_currency or "").strip().upper()
        return code if code in money_currencies() else "USD"

    def module_enabled(self, module: str) -> bool:
        return getattr(self, f"{module}_enabled")

    def module_switched_off(self, path: str) -> str | None:
        """The module switched off whose pages or API routes `path` is under, if any."""
        for module, prefixes in settings.ORGANIZATION_MODULE_PATHS.items():
            if path.startswith(prefixes) and not self.module_enabled(module):
                return module
        return None

    @property
    def approvals_enabled(self) -> bool:
        return self.approval_total_above_minor is not None or self.approval_participant_above_minor is not None

    @property
    def contact(self) -> str:
        """Whom participants contact: the reply-to address when there is one."""
        return f"{self.name} at {self.reply_to_email}" if self.reply_to_email else self.name

    # The payout providers one may choose per method (payouts.providers.PROVIDERS implements them).
    PAYOUT_PROVIDERS = [("manual", _("Manual batch: download a file, pay it, mark it sent"))]

    def payout_provider_for(self, method: str) -> str:
        return (self.payout_providers or {}).get(method) or "manual"

    def offered_payout_methods(self) -> list[tuple[str, str]]:
        chosen = self.payout_methods or self.PayoutMethod.values
        return [(m.value, m.label) for m in self.PayoutMethod if m.value in chosen]


class TenantQuerySet(models.QuerySet):
    def for_org(self, organization):
        return self.filter(organization=organization)


class TenantModel(models.Model):
    """Every tenant-owned row names its organization; reads go through `for_org`."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        RESEARCHER = "researcher", _("Researcher")
        FINANCE = "finance", _("Finance")
        VIEWER = "viewer", _("Viewer")

    MANAGERS = {Role.OWNER, Role.ADMIN}
    WRITERS = {Role.OWNER, Role.ADMIN, Role.RESEARCHER}
    # Who pays what is owed (the Payouts page): owners, admins and finance.
    PAYERS = {Role.OWNER, Role.ADMIN, Role.FINANCE}

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.RESEARCHER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")
        ]
        ordering = ["organization__name"]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.get_role_display()})"

    @property
    def is_manager(self) -> bool:
        return self.role in self.MANAGERS

    @property
    def can_write(self) -> bool:
        return self.role in self.WRITERS

    @property
    def can_pay(self) -> bool:
        return self.role in self.PAYERS


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKeyQuerySet(TenantQuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(TenantModel):
    """An organization's REST API key; only its SHA-256 is stored, the key is shown once."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text=_("The first characters, to recognise it."))
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class TaxThreshold(TenantModel):
    """An organization's own yearly tax-reporting threshold for one calendar year, in its
    reporting currency; years without one use the default (core.tax)."""

    year = models.PositiveSmallIntegerField()
    amount_minor = models.BigIntegerField(help_text=_("Above this total paid to one person in the year, a W-9 is needed."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="tax_threshold_one_per_year"),
            models.CheckConstraint(condition=models.Q(amount_minor__gte=0), name="tax_threshold_not_negative"),
        ]

    def __str__(self):
        return f"{self.year}: {self.amount_minor}"
