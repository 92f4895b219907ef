from django.db.models import Prefetch

from .models import Advocate, Reward, RewardAccount, RewardBalance, RewardEvent


def _balances(lookup: str = "balances") -> Prefetch:
    return Prefetch(
        lookup, queryset=RewardBalance.objects.select_related("held_account", "available_account", "redeemed_account")
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
        .select_related("advocate")
        .prefetch_related(Prefetch("events", queryset=RewardEvent.objects.select_related("api_key")))
    )


def account_list_with_rewards(*, organization):
    """Accounts with their balances, advocates and rewards (for the API)."""
    return account_list(organization=organization).prefetch_related("advocates", "rewards")
