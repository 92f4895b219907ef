import datetime

from django.db.models import BigIntegerField, Case, F, Prefetch, Sum, When
from django.utils import timezone

from .models import Advocate, AdvocateEvent, Reward, RewardAccount, RewardBalance, RewardEvent, RewardProgram


def _balances(lookup: str = "balances") -> Prefetch:
    return Prefetch(
        lookup, queryset=RewardBalance.objects.select_related("held_account", "available_account", "redeemed_account", "reserved_account")
    )


def advocate_list(*, organization):
    return Advocate.objects.for_org(organization).select_related("account").prefetch_related(_balances("account__balances"))


def account_list(*, organization):
    return RewardAccount.objects.for_org(organization).prefetch_related(_balances())


def account_rewards(*, account: RewardAccount):
    """The account's rewards with who earned them and their audit trail, in a fixed number of queries."""
    return (
        Reward.objects.for_org(account.organization)
        .filter(account=account)
        .select_related("advocate", "program")
        .prefetch_related(Prefetch("events", queryset=RewardEvent.objects.select_related("api_key")))
    )


def account_list_with_rewards(*, organization):
    """Accounts with their balances, advocates and rewards (for the API)."""
    return account_list(organization=organization).prefetch_related("advocates", "rewards")


def program_list(*, organization, archived: bool = False):
    return RewardProgram.objects.for_org(organization).filter(archived_at__isnull=not archived)


def year_bounds(organization, year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The calendar year in the organization's time zone, as [start, end)."""
    zone = organization.zone
    return datetime.datetime(year, 1, 1, tzinfo=zone), datetime.datetime(year + 1, 1, 1, tzinfo=zone)


def current_year(organization, now: datetime.datetime | None = None) -> int:
    return timezone.localtime(now or timezone.now(), organization.zone).year


# What counts as paid to an advocate: every reward given, except what was cancelled or expired
# unredeemed (an expired reward counts for what was redeemed of it).
PAID_MINOR = Sum(
    Case(
        When(status=Reward.Status.CANCELLED, then=0),
        When(status=Reward.Status.EXPIRED, then=F("redeemed_minor")),
        default=F("amount_minor"),
        output_field=BigIntegerField(),
    )
)


def advocate_year_totals(*, organization, year: int, advocate_ids=None):
    """{advocate id: minor units given in `year`} in the organization's reporting currency; a
    reward belongs to the year it was given in (created, in the organization's time zone)."""
    start, end = year_bounds(organization, year)
    rewards = Reward.objects.for_org(organization).filter(
        advocate__isnull=False, currency=organization.tax_currency, created_at__gte=start, created_at__lt=end
    )
    if advocate_ids is not None:
        rewards = rewards.filter(advocate_id__in=advocate_ids)
    return dict(rewards.values("advocate_id").annotate(total=PAID_MINOR).values_list("advocate_id", "total"))


def advocate_events(*, advocate: Advocate):
    return AdvocateEvent.objects.for_org(advocate.organization).filter(advocate=advocate)


def reward_list(*, organization, status=None, account_id=None, program_id=None, event_from=None, event_to=None):
    """Rewards for the API's listing; dates are whole days in the current time zone (UTC in the API)."""
    rewards = Reward.objects.for_org(organization).order_by("-event_at", "-pk")
    if status:
        rewards = rewards.filter(status=status)
    if account_id:
        rewards = rewards.filter(account_id=account_id)
    if program_id:
        rewards = rewards.filter(program_id=program_id)
    if event_from:
        rewards = rewards.filter(event_at__date__gte=event_from)
    if event_to:
        rewards = rewards.filter(event_at__date__lte=event_to)
    return rewards
