import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from budgets.models import LedgerTransaction
from budgets.selectors import ledger_problems
from core.money import Money
from rewards import services, tasks
from rewards.models import Channel, Redemption, Reward, RewardEvent

from .helpers import SYSTEM, available, make_account, make_reward

pytestmark = pytest.mark.django_db

Status = Reward.Status
UTC = datetime.UTC


def usd(amount_minor):
    return Money(amount_minor, "USD")


@pytest.mark.smoke
def test_two_advocates_of_one_account_share_one_balance_and_a_redemption_lowers_it_for_both(account, advocates, owner):
    ana, ben = advocates
    make_reward(account, advocate=ana, amount_minor=5_000)
    ben_reward = make_reward(account, advocate=ben, amount_minor=3_000)
    assert available(ana.account) == available(ben.account) == 8_000

    services.reward_redeem(reward=ben_reward, amount=usd(1_000), actor=services.Actor.web(owner))

    assert available(ana.account) == available(ben.account) == 7_000
    assert not ledger_problems()


def test_partial_redemptions_add_up_and_the_last_one_makes_the_reward_redeemed(account):
    reward = make_reward(account, amount_minor=10_000)
    for amount in (2_500, 2_500, 5_000):
        services.reward_redeem(reward=reward, amount=usd(amount), actor=SYSTEM)
    reward.refresh_from_db()
    assert (reward.redeemed_minor, reward.status) == (10_000, Status.REDEEMED)
    assert sum(Redemption.objects.filter(reward=reward).values_list("amount_minor", flat=True)) == 10_000
    assert available(account) == 0
    assert account.balances.get().redeemed_account.balance_minor == 10_000


def test_a_partly_redeemed_reward_stays_available_with_what_is_left(account):
    reward = make_reward(account, amount_minor=10_000)
    services.reward_redeem(reward=reward, amount=usd(3_000), actor=SYSTEM)
    reward.refresh_from_db()
    assert (reward.status, reward.left_minor, reward.partly_redeemed) == (Status.AVAILABLE, 7_000, True)


def test_redeeming_more_than_available_is_refused_and_changes_nothing(account):
    reward = make_reward(account, amount_minor=1_000)
    with pytest.raises(services.RewardInvalid, match=r"has \$10.00 available; you asked to redeem \$10.01"):
        services.reward_redeem(reward=reward, amount=usd(1_001), actor=SYSTEM)
    reward.refresh_from_db()
    assert reward.redeemed_minor == 0
    assert available(account) == 1_000
    assert not Redemption.objects.exists()


@pytest.mark.parametrize("amount", [Money(0, "USD"), Money(-5, "USD"), Money(100, "EUR")])
def test_zero_negative_or_other_currency_amounts_are_refused(account, amount):
    reward = make_reward(account)
    with pytest.raises(services.RewardInvalid):
        services.reward_redeem(reward=reward, amount=amount, actor=SYSTEM)
    assert available(account) == 10_000


def test_redeeming_without_an_amount_takes_everything_left(account):
    reward = make_reward(account, amount_minor=4_000)
    services.reward_redeem(reward=reward, amount=usd(1_000), actor=SYSTEM)
    redemption = services.reward_redeem(reward=reward, amount=None, actor=SYSTEM)
    assert redemption.amount_minor == 3_000
    assert redemption.reward.status == Status.REDEEMED


def test_a_pending_reward_cannot_be_redeemed(account):
    reward = make_reward(account, available_at=timezone.now() + datetime.timedelta(days=5))
    with pytest.raises(services.RewardConflict, match="pending"):
        services.reward_redeem(reward=reward, amount=usd(100), actor=SYSTEM)


def test_account_redemption_spends_the_oldest_rewards_first_all_or_nothing(account):
    old = make_reward(account, amount_minor=1_000, days_ago=30)
    new = make_reward(account, amount_minor=1_000, days_ago=1)
    with pytest.raises(services.RewardInvalid, match=r"has \$20.00 available"):
        services.account_redeem(account=account, amount=usd(2_001), actor=SYSTEM)
    assert available(account) == 2_000
    services.account_redeem(account=account, amount=usd(1_500), actor=SYSTEM)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.redeemed_minor) == (Status.REDEEMED, 500)


# The two-year rule


def test_cancel_is_refused_for_a_reward_whose_event_is_two_years_old(account):
    now = datetime.datetime(2026, 6, 1, 12, tzinfo=UTC)
    reward = make_reward(account, event_at=datetime.datetime(2024, 6, 1, 12, tzinfo=UTC), now=now)
    with pytest.raises(services.RewardConflict, match="within two years of its event") as refusal:
        services.reward_cancel(reward=reward, actor=SYSTEM, now=now)
    assert refusal.value.code == "too_old_to_cancel"
    reward.refresh_from_db()
    assert reward.status == Status.AVAILABLE
    assert available(account) == 10_000


def test_cancel_is_allowed_one_second_before_the_two_years_are_up(account):
    event = datetime.datetime(2024, 6, 1, 12, tzinfo=UTC)
    now = datetime.datetime(2026, 6, 1, 11, 59, 59, tzinfo=UTC)
    reward = make_reward(account, event_at=event, now=now)
    services.reward_cancel(reward=reward, actor=SYSTEM, now=now)
    assert reward.status == Status.CANCELLED


def test_two_years_after_29_february_is_28_february():
    leap = datetime.datetime(2024, 2, 29, 9, tzinfo=UTC)
    assert services.years_later(leap, 2) == datetime.datetime(2026, 2, 28, 9, tzinfo=UTC)


@pytest.mark.parametrize("redeem, status", [(usd(1), Status.AVAILABLE), (None, Status.REDEEMED)], ids=["partly", "fully"])
def test_cancel_is_refused_for_a_partly_or_fully_redeemed_reward(account, redeem, status):
    reward = make_reward(account)
    services.reward_redeem(reward=reward, amount=redeem, actor=SYSTEM)
    with pytest.raises(services.RewardConflict, match="has been redeemed") as refusal:
        services.reward_cancel(reward=reward, actor=SYSTEM)
    assert refusal.value.code == "already_redeemed"
    reward.refresh_from_db()
    assert reward.status == status and not reward.events.filter(action=RewardEvent.Action.CANCELLED).exists()


def test_cancel_returns_the_money_and_uncancel_restores_an_available_reward(account):
    reward = make_reward(account, amount_minor=2_000)
    services.reward_cancel(reward=reward, actor=SYSTEM)
    assert available(account) == 0
    services.reward_uncancel(reward=reward, actor=SYSTEM)
    assert (reward.status, available(account)) == (Status.AVAILABLE, 2_000)
    assert not ledger_problems()


def test_cancelling_twice_has_the_effect_of_once(account):
    reward = make_reward(account)
    before = available(account)
    services.reward_cancel(reward=reward, actor=SYSTEM)
    once = available(account)
    with pytest.raises(services.RewardConflict, match="cancelled already"):
        services.reward_cancel(reward=reward, actor=SYSTEM)
    assert available(account) == once == before - reward.amount_minor
    assert reward.events.filter(action=RewardEvent.Action.CANCELLED).count() == 1
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REWARD_CANCEL).count() == 1
    assert not ledger_problems()


def test_uncancelling_a_reward_pending_its_period_makes_it_available_at_once(account):
    reward = make_reward(account, available_at=timezone.now() + datetime.timedelta(days=30))
    assert reward.status == Status.PENDING
    services.reward_cancel(reward=reward, actor=SYSTEM)
    services.reward_uncancel(reward=reward, actor=SYSTEM)
    assert (reward.status, reward.pending_reason) == (Status.AVAILABLE, "")
    assert available(account) == 10_000
    assert account.balances.get().held_account.balance_minor == 0


def test_uncancel_keeps_a_w9_hold_until_the_w9_is_marked(account, advocates):
    ben = advocates[1]
    reward = make_reward(account, advocate=ben, w9_required=True)
    services.reward_cancel(reward=reward, actor=SYSTEM)
    services.reward_uncancel(reward=reward, actor=SYSTEM)
    assert (reward.status, reward.pending_reason) == (Status.PENDING, "w9_required")
    assert available(account) == 0
    services.advocate_mark_w9(advocate=ben, actor=SYSTEM)
    reward.refresh_from_db()
    assert reward.status == Status.AVAILABLE
    assert available(account) == 10_000


# Pending periods and W-9 holds


def test_a_scheduled_reward_becomes_available_when_its_period_ends(account):
    start = datetime.datetime(2026, 3, 1, tzinfo=UTC)
    reward = make_reward(account, now=start, available_at=start + datetime.timedelta(days=14))
    assert services.rewards_release_due(now=start + datetime.timedelta(days=13)) == 0
    assert services.rewards_release_due(now=start + datetime.timedelta(days=14)) == 1
    reward.refresh_from_db()
    assert reward.status == Status.AVAILABLE
    assert available(account) == 10_000
    assert reward.events.last().channel == Channel.SYSTEM


def test_the_beat_task_releases_rewards_whose_period_has_ended(account):
    reward = make_reward(account, now=timezone.now() - datetime.timedelta(days=2), available_at=timezone.now() - datetime.timedelta(seconds=1))
    tasks.rewards_release_due.delay()
    reward.refresh_from_db()
    assert reward.status == Status.AVAILABLE


def test_release_now_ends_a_pending_period_early(account):
    reward = make_reward(account, available_at=timezone.now() + datetime.timedelta(days=30))
    services.reward_release(reward=reward, actor=SYSTEM)
    assert reward.status == Status.AVAILABLE
    assert reward.events.last().action == RewardEvent.Action.RELEASED


def test_release_now_does_not_lift_a_w9_hold(account, advocates):
    reward = make_reward(account, advocate=advocates[1], w9_required=True)
    with pytest.raises(services.RewardConflict, match="W-9") as refusal:
        services.reward_release(reward=reward, actor=SYSTEM)
    assert refusal.value.code == "w9_required"
    assert services.rewards_release_due(now=timezone.now() + datetime.timedelta(days=365)) == 0


def test_marking_the_w9_releases_held_rewards_and_keeps_a_running_period(account, advocates):
    ben = advocates[1]
    now = timezone.now()
    held = make_reward(account, advocate=ben, w9_required=True)
    held_and_scheduled = make_reward(account, advocate=ben, w9_required=True, available_at=now + datetime.timedelta(days=5))
    released = services.advocate_mark_w9(advocate=ben, actor=SYSTEM)
    assert [reward.pk for reward in released] == [held.pk]
    held_and_scheduled.refresh_from_db()
    assert (held_and_scheduled.status, held_and_scheduled.pending_reason) == (Status.PENDING, "scheduled")
    assert services.advocate_mark_w9(advocate=ben, actor=SYSTEM) == []


def test_an_advocate_with_a_w9_on_file_gets_no_hold(account, advocates):
    services.advocate_mark_w9(advocate=advocates[0], actor=SYSTEM)
    reward = make_reward(account, advocate=advocates[0], w9_required=True)
    assert reward.status == Status.AVAILABLE


def test_expiry_sends_what_is_left_back_out(account):
    reward = make_reward(account, amount_minor=5_000, expires_at=timezone.now() - datetime.timedelta(seconds=1))
    services.reward_redeem(reward=reward, amount=usd(2_000), actor=SYSTEM)
    assert services.rewards_expire_due() == 1
    reward.refresh_from_db()
    assert (reward.status, reward.redeemed_minor, available(account)) == (Status.EXPIRED, 2_000, 0)
    assert not ledger_problems()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"event_at": timezone.now() + datetime.timedelta(days=1)}, "future"),
        ({"w9_required": True}, "needs the advocate"),
    ],
)
def test_bad_reward_input_is_refused_and_creates_nothing(account, kwargs, message):
    with pytest.raises(services.RewardInvalid, match=message):
        make_reward(account, **kwargs)
    assert not Reward.objects.exists()


def test_an_advocate_of_another_account_cannot_earn_this_accounts_reward(organization, account):
    _, (stranger, _) = make_account(organization)
    with pytest.raises(services.RewardInvalid, match="not a participant"):
        make_reward(account, advocate=stranger)


def test_every_action_is_audited_with_who_when_and_channel(account, owner):
    reward = make_reward(account, available_at=timezone.now() + datetime.timedelta(days=3))
    actor = services.Actor.web(owner)
    services.reward_release(reward=reward, actor=actor)
    services.reward_redeem(reward=reward, amount=usd(100), actor=actor)
    reward2 = make_reward(account)
    services.reward_cancel(reward=reward2, actor=actor)
    services.reward_uncancel(reward=reward2, actor=actor)
    events = RewardEvent.objects.filter(user=owner, channel=Channel.UI).values_list("action", flat=True)
    assert sorted(events) == ["cancelled", "redeemed", "released", "uncancelled"]
    assert all(event.created_at and event.actor_label == owner.email for event in RewardEvent.objects.filter(user=owner))
    call_command("verify_ledger")
