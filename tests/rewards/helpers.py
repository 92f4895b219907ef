"""Reward accounts, advocates and rewards for tests; the organization is always passed."""

import datetime
import itertools

from django.utils import timezone

from core.money import Money
from rewards import services
from rewards.models import Reward

_numbers = itertools.count(1)
SYSTEM = services.Actor.system()


def make_account(organization, *, name=None, advocates=("Ana", "Ben")):
    number = next(_numbers)
    account = services.reward_account_create(organization=organization, name=name or f"Account {number}", external_id=f"ACC-{number}")
    people = [services.advocate_create(account=account, name=person, email=f"{person.lower()}{number}@example.test") for person in advocates]
    return account, people


def make_reward(account, *, amount_minor=10_000, currency="USD", advocate=None, days_ago=10, now=None, **kwargs) -> Reward:
    now = now or timezone.now()
    kwargs.setdefault("event_at", now - datetime.timedelta(days=days_ago))
    return services.reward_create(
        account=account,
        amount=Money(amount_minor, currency),
        source_event=kwargs.pop("source_event", "Referral"),
        advocate=advocate,
        actor=kwargs.pop("actor", SYSTEM),
        now=now,
        **kwargs,
    )


def available(account, currency="USD") -> int:
    balance = account.balances.select_related("available_account").get(currency=currency)
    return balance.available_account.balance_minor
