"""Provider offers: a provider (an organization with a ProviderProfile) offers incentives
to recipients by email or by a shareable link, and negotiates them through the workflow in
offers/transitions.py. Every status change is an OfferEvent; money here is accounting of
what was given (Distribution), not ledger movements.
"""

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core.money import Money
from core.tokens import derive_token
from tenancy.models import TenantModel, TenantQuerySet

from .transitions import EXPIRABLE, Party, Status

# The purposes (core.tokens) that keep the three kinds of offer tokens apart.
MEMBER_PURPOSE = "offers.member"
LINK_PURPOSE = "offers.link"
WIDGET_PURPOSE = "offers.widget"
# One limit for every text a recipient reads in the thread: the offer's message, thread
# messages, transition notes (the forms show a counter).
MESSAGE_LIMIT = 5000


class IncentiveType(models.TextChoices):
    CASHBACK = "cashback", pgettext_lazy("incentive type", "Cashback")
    DISCOUNT = "discount", pgettext_lazy("incentive type", "Discount")
    GIFT_CARD = "gift_card", pgettext_lazy("incentive type", "Gift card")
    CREDIT = "credit", pgettext_lazy("incentive type", "Account credit")
    VOUCHER = "voucher", pgettext_lazy("incentive type", "Voucher")
    DONATION = "donation", pgettext_lazy("incentive type", "Charity donation")


class EntityType(models.TextChoices):
    PERSON = "person", pgettext_lazy("entity type", "Person")
    BUSINESS = "business", pgettext_lazy("entity type", "Business")
    CREATOR = "creator", pgettext_lazy("entity type", "Creator")
    NONPROFIT = "nonprofit", pgettext_lazy("entity type", "Nonprofit")


class Stage(models.TextChoices):
    LEAD = "lead", pgettext_lazy("stage", "Lead")
    PROSPECT = "prospect", pgettext_lazy("stage", "Prospect")
    CUSTOMER = "customer", pgettext_lazy("stage", "Customer")
    PARTNER = "partner", pgettext_lazy("stage", "Partner")
    FORMER = "former", pgettext_lazy("stage", "Former customer")


class ProviderProfile(TenantModel):
    """Makes an organization an incentive provider (the vendor account)."""

    display_name = models.CharField(max_length=200, help_text=_("Shown to recipients and on widgets."))
    contact_email = models.EmailField(help_text=_("Recipient messages are sent here."))
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    no_response_after_days = models.PositiveIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("An offer waiting on the recipient this many days becomes No Response."),
    )

    class Notify(models.TextChoices):
        EACH = "each", _("An email for each answer or message")
        DIGEST = "digest", _("One digest email a day")

    notify = models.CharField(
        max_length=10, choices=Notify.choices, default=Notify.EACH, verbose_name=_("Tell us about recipients' answers"),
        help_text=_("When a recipient acts or writes, the contact address gets an email at once, or a daily digest."),
    )
    # The digest covers what recipients did after this moment (beat moves it forward).
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="one_provider_profile_per_org")]

    def __str__(self):
        return self.display_name


class IncentiveProgramQuerySet(TenantQuerySet):
    def active(self):
        return self.filter(active=True)


class IncentiveProgram(TenantModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    incentive_types = models.JSONField(default=list, help_text=_("The incentive types offers of this program may use."))
    default_expiry_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IncentiveProgramQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="program_name_unique")]

    def __str__(self):
        return self.name

    def allowed_types(self) -> list[tuple[str, str]]:
        return [(t.value, t.label) for t in IncentiveType if t.value in self.incentive_types]


class OfferTerms(models.Model):
    """An incentive's value: money in minor units, or a percentage (discounts only)."""

    incentive_type = models.CharField(max_length=20, choices=IncentiveType.choices)
    currency = models.CharField(max_length=3, default="USD")
    amount_minor = models.BigIntegerField(null=True, blank=True)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def value(self) -> Money | Decimal | None:
        return Money(self.amount_minor, self.currency) if self.amount_minor is not None else self.percent

    @property
    def value_display(self) -> str:
        return value_text(self.amount_minor, self.percent, self.currency)


def value_text(amount_minor, percent, currency) -> str:
    if amount_minor is not None:
        return str(Money(amount_minor, currency))
    if percent is not None:
        return f"{percent.normalize():f}%"
    return ""


def one_value_constraint(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=(
            Q(amount_minor__gt=0, percent__isnull=True)
            | Q(amount_minor__isnull=True, percent__gt=0, percent__lte=100)
        ),
        name=name,
    )


class LinkTemplateQuerySet(TenantQuerySet):
    def with_usage(self):
        return self.select_related("program").annotate(usage_count=Count("offers"))


class LinkTemplate(OfferTerms, TenantModel):
    """A reusable recipe for shareable-link offers."""

    name = models.CharField(max_length=200)
    program = models.ForeignKey(IncentiveProgram, on_delete=models.PROTECT, related_name="link_templates")
    message = models.TextField(blank=True)
    expiry_days = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("Links made from it expire this many days after they are made."),
    )
    is_group = models.BooleanField(default=False)
    max_members = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(10_000)])
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LinkTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="link_template_name_unique"),
            one_value_constraint("link_template_one_value"),
        ]

    def __str__(self):
        return self.name


class OfferQuerySet(TenantQuerySet):
    def for_table(self):
        return self.select_related("program").annotate(
            joined_count=Count("members", filter=~Q(members__status="declined"), distinct=True)
        )

    def expirable(self, today):
        return self.filter(status__in=EXPIRABLE, expires_on__lt=today)


class Offer(OfferTerms, TenantModel):
    Status = Status

    class Delivery(models.TextChoices):
        EMAIL = "email", pgettext_lazy("delivery", "Email")
        LINK = "link", pgettext_lazy("delivery", "Shareable link")

    program = models.ForeignKey(IncentiveProgram, on_delete=models.PROTECT, related_name="offers")
    link_template = models.ForeignKey(
        LinkTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="offers"
    )
    entity_type = models.CharField(max_length=20, choices=EntityType.choices, default=EntityType.PERSON)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.PROSPECT)
    is_group = models.BooleanField(default=False)
    max_members = models.PositiveIntegerField(default=1)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_email = models.EmailField(blank=True)
    message = models.TextField(blank=True)
    expires_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # A counter's proposed terms, until the provider accepts or answers it.
    proposed_amount_minor = models.BigIntegerField(null=True, blank=True)
    proposed_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # Which group member proposed the counter (pages say "You proposed" only to them).
    proposed_by = models.ForeignKey("OfferMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The shareable link's and the acknowledgement widget's tokens: like every token, only a
    # nonce and the token's SHA-256 are stored; the provider's pages derive the link again.
    link_nonce = models.CharField(max_length=64, unique=True, null=True, blank=True)
    link_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    widget_nonce = models.CharField(max_length=64, unique=True, null=True, blank=True)
    widget_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    acknowledgement_name = models.CharField(max_length=100, blank=True)
    acknowledgement_text = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(db_index=True)

    objects = OfferQuerySet.as_manager()

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        constraints = [
            one_value_constraint("offer_one_value"),
            models.CheckConstraint(condition=Q(max_members__gte=1), name="offer_max_members_positive"),
        ]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self):
        return _("Offer #%(number)s") % {"number": self.pk}

    @property
    def link_token(self) -> str:
        return derive_token(LINK_PURPOSE, self.link_nonce) if self.link_nonce else ""

    @property
    def widget_token(self) -> str:
        return derive_token(WIDGET_PURPOSE, self.widget_nonce) if self.widget_nonce else ""

    @property
    def proposed_display(self) -> str:
        return value_text(self.proposed_amount_minor, self.proposed_percent, self.currency)

    @property
    def recipient_display(self) -> str:
        if self.delivery == self.Delivery.LINK and not self.recipient_name:
            return str(pgettext_lazy("delivery", "Shareable link"))
        return self.recipient_name or self.recipient_email

    @property
    def join_statuses(self) -> frozenset:
        """While a link takes visitors: a single offer until its one recipient joins, a
        group while the offer is open."""
        return EXPIRABLE if self.is_group else frozenset({Status.OFFERED})

    def members_taken(self) -> int:
        """Members who haven't declined (annotated by for_table, else counted)."""
        taken = getattr(self, "joined_count", None)
        return taken if taken is not None else self.members.exclude(status=OfferMember.Status.DECLINED).count()

    def open_to_join(self) -> bool:
        return (
            self.delivery == self.Delivery.LINK
            and self.status in self.join_statuses
            and self.members_taken() < self.max_members
        )


class OfferMember(TenantModel):
    """A recipient of an offer: the email recipient, or a visitor who joined through the link.

    Each has a personal page at /offer/<token>/; the token is derived from `token_nonce`
    (core.tokens), and only the nonce and the token's SHA-256 are stored.
    """

    class Status(models.TextChoices):
        JOINED = "joined", pgettext_lazy("member status", "Joined")
        CLAIMED = "claimed", pgettext_lazy("member status", "Claimed")
        DECLINED = "declined", pgettext_lazy("member status", "Declined")

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    token_nonce = models.CharField(max_length=64, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # The hash of the link "Offer again" replaced: that link says so instead of "not found".
    replaced_hash = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.JOINED)
    joined_at = models.DateTimeField(auto_now_add=True)
    # Set from the signed link in every update email: only essential emails are sent then.
    updates_unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # The language their emails are written in (a code of settings.LANGUAGES); None until the
    # browser that opens their page (or joins through the link) tells it.
    language = models.CharField(max_length=16, null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["offer", "email"], name="one_membership_per_email")]

    def __str__(self):
        return self.name

    @property
    def token(self) -> str:
        return derive_token(MEMBER_PURPOSE, self.token_nonce)


class OfferEvent(TenantModel):
    """One status change: who, when, from, to, and why. Written by offer_transition only;
    append-only (a database trigger refuses UPDATE and DELETE, as for the ledger)."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="events")
    # The group member who acted (a recipient's event), so answers are attributed per member.
    member = models.ForeignKey(OfferMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_kind = models.CharField(max_length=10, choices=Party.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=200)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        triggers = [pgtrigger.Protect(name="offer_event_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return f"{self.offer}: {self.from_status} → {self.to_status}"


class Message(TenantModel):
    """The thread between provider and recipient on one offer."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="messages")
    sender_kind = models.CharField(
        max_length=10, choices=[(Party.PROVIDER.value, pgettext_lazy("party", "Provider")), (Party.RECIPIENT.value, pgettext_lazy("party", "Recipient"))]
    )
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_member = models.ForeignKey(OfferMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sender_label = models.CharField(max_length=200)
    body = models.TextField()
    # Whose private thread it is in (a group member's); empty: to every member.
    thread_member = models.ForeignKey(
        OfferMember, null=True, blank=True, on_delete=models.CASCADE, related_name="thread_messages"
    )
    # The status change the provider made with this message (its note is this body).
    event = models.OneToOneField(OfferEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="message")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.sender_label}: {self.body[:40]}"


class Distribution(TenantModel):
    """Fulfilment recorded for accounting: what was given, when, how. Not a ledger movement.

    Append-only (a database trigger refuses UPDATE and DELETE): a mistake is corrected by a
    reversing record (`reverses`, the negative amount, a reason); the original stays.
    """

    class Method(models.TextChoices):
        GIFT_CARD = "gift_card", pgettext_lazy("distribution method", "Gift card")
        BANK_TRANSFER = "bank_transfer", pgettext_lazy("distribution method", "Bank transfer")
        PAYPAL = "paypal", pgettext_lazy("distribution method", "PayPal")
        STORE_CREDIT = "store_credit", pgettext_lazy("distribution method", "Store credit")
        CHECK = "check", pgettext_lazy("distribution method", "Check")
        OTHER = "other", pgettext_lazy("distribution method", "Other")

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="distributions")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    distributed_on = models.DateField()
    method = models.CharField(max_length=20, choices=Method.choices)
    reference = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # A correction: the record it reverses (at most one reversal each), and why.
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    reason = models.CharField(max_length=500, blank=True)
    # Set when the provider confirmed giving more than the offer's value, saying why.
    overage_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-distributed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, amount_minor__gt=0) | Q(reverses__isnull=False, amount_minor__lt=0),
                name="distribution_amount_sign",
            ),
        ]
        triggers = [pgtrigger.Protect(name="distribution_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return f"{self.amount} on {self.distributed_on}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
