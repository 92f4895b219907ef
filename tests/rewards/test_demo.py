import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from rewards.models import Reward, RewardAccount
from tenancy.models import Organization

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return re.search(r"REST API key for Acme \(shown once\): (ik_[\w-]+)", out.getvalue()).group(1)


def accounts(raw: str):
    return Client().get("/api/v1/accounts", headers={"Authorization": f"Bearer {raw}"})


def test_the_demo_has_shared_accounts_rewards_in_every_status_and_reason_and_prints_a_working_key():
    first_key = seed()
    acme = Organization.objects.get(slug="acme")
    rewards = Reward.objects.for_org(acme)
    assert set(rewards.values_list("status", flat=True)) == set(Reward.Status.values)
    assert set(rewards.values_list("pending_reason", flat=True)) == set(Reward.PendingReason.values)
    assert rewards.filter(status=Reward.Status.AVAILABLE, redeemed_minor__gt=0).exists()  # partly redeemed
    assert all(account.advocates.count() >= 2 for account in RewardAccount.objects.for_org(acme))
    names = {item["name"] for item in accounts(first_key).json()["items"]}
    assert names == set(RewardAccount.objects.for_org(acme).values_list("name", flat=True))

    count = Reward.objects.count()
    second_key = seed()
    assert Reward.objects.count() == count
    assert accounts(second_key).status_code == 200 and accounts(first_key).status_code == 401
