"""A bulk reward file and a budget withdrawal above the threshold wait; approving runs them,
rejecting releases what they reserved."""

import pytest
from django.core.management import call_command

from approvals.models import Approval
from approvals.services import approval_approve, approval_reject
from approvals.withdrawals import budget_withdrawal
from core.errors import DomainError, NotAllowed
from core.money import Money
from rewards.models import Redemption
from rewards.services import bulk

from ..incentives.test_send import budget_figures
from ..rewards.helpers import available, make_account, make_reward

pytestmark = pytest.mark.django_db
USD = "USD"


def test_a_withdrawal_above_the_threshold_reserves_its_amount_and_waits(thresholds, budget, admin_user):
    approval = budget_withdrawal(budget=budget, amount=Money(20_000, USD), actor=admin_user, memo="Back to finance")
    assert isinstance(approval, Approval) and approval.kind == Approval.Kind.BUDGET_WITHDRAWAL
    assert budget_figures(budget) == (80_000, 20_000, 0)
    assert approval.reservation.kind == "reserve"
    call_command("verify_ledger")


def test_a_withdrawal_below_the_threshold_is_made_at_once(thresholds, budget, admin_user):
    done = budget_withdrawal(budget=budget, amount=Money(5_000, USD), actor=admin_user)
    assert done.kind == "withdraw" and budget_figures(budget) == (95_000, 0, 0)


def test_an_approved_withdrawal_leaves_the_budget_once(thresholds, budget, admin_user, owner):
    approval = budget_withdrawal(budget=budget, amount=Money(20_000, USD), actor=admin_user, memo="Back to finance")
    with pytest.raises(NotAllowed):
        approval_approve(approval=approval, actor=admin_user)
    approval_approve(approval=approval, actor=owner)
    assert budget_figures(budget) == (80_000, 0, 0)
    withdrawal = budget.transactions.get(kind="withdraw")
    assert withdrawal.actor == admin_user and withdrawal.memo == "Back to finance"
    with pytest.raises(DomainError):
        approval_approve(approval=approval, actor=owner)
    assert budget.transactions.filter(kind="withdraw").count() == 1
    call_command("verify_ledger")


def test_a_rejected_withdrawal_releases_its_money(thresholds, budget, admin_user, owner):
    approval = budget_withdrawal(budget=budget, amount=Money(20_000, USD), actor=admin_user)
    approval_reject(approval=approval, actor=owner, reason="We still need it")
    assert budget_figures(budget) == (100_000, 0, 0)
    assert not budget.transactions.filter(kind="withdraw").exists()
    call_command("verify_ledger")


def test_a_withdrawal_that_cant_be_covered_is_refused_at_once(thresholds, budget, admin_user):
    with pytest.raises(DomainError, match="this withdrawal needs"):
        budget_withdrawal(budget=budget, amount=Money(200_000, USD), actor=admin_user)
    assert not Approval.objects.exists()


@pytest.fixture
def bulk_file(organization):
    account, _ = make_account(organization)
    make_reward(account, amount_minor=20_000, external_id="RW-BIG")
    return account, f"account_external_id,reward_external_id,amount,note\n,RW-BIG,60.00,payout\n{account.external_id},,10.00,\n"


def test_a_bulk_file_above_the_threshold_waits_and_redeems_nothing(thresholds, bulk_file, researcher):
    account, text = bulk_file
    rows = bulk.bulk_apply(organization=account.organization, text=text, user=researcher)
    assert [row.result for row in rows] == [bulk.AWAITING, bulk.AWAITING]
    approval = Approval.objects.get()
    assert (approval.kind, approval.amount, approval.per_participant) == ("rewards_bulk", Money(7_000, USD), Money(7_000, USD))
    # Nothing is redeemed, but the file's $70.00 is reserved at once: available -> reserved.
    assert not Redemption.objects.exists() and available(account) == 13_000 and reserved(account) == 7_000
    assert approval.reservation.kind == "reserve"
    call_command("verify_ledger")
    with pytest.raises(DomainError, match="awaiting approval already"):
        bulk.bulk_apply(organization=account.organization, text=text, user=researcher)


def test_an_approved_bulk_file_is_applied_once(thresholds, bulk_file, researcher, owner):
    account, text = bulk_file
    bulk.bulk_apply(organization=account.organization, text=text, user=researcher)
    approval = approval_approve(approval=Approval.objects.get(), actor=owner)
    assert "Applied 2 of 2 rows." in approval.outcome
    assert available(account) == 13_000 and reserved(account) == 0 and Redemption.objects.count() == 2
    call_command("verify_ledger")
    rows = bulk.bulk_apply(organization=account.organization, text=text, user=researcher)
    assert all(row.applied_at is not None for row in rows) and Redemption.objects.count() == 2


def test_a_rejected_bulk_file_redeems_nothing(thresholds, bulk_file, researcher, owner):
    account, text = bulk_file
    bulk.bulk_apply(organization=account.organization, text=text, user=researcher)
    approval = approval_reject(approval=Approval.objects.get(), actor=owner, reason="Wrong month")
    assert not Redemption.objects.exists() and available(account) == 20_000 and reserved(account) == 0
    assert approval.release.kind == "release" and approval.release.reference == f"approval:{approval.pk}"
    call_command("verify_ledger")


def reserved(account, currency="USD") -> int:
    return account.balances.get(currency=currency).reserved.amount_minor


def test_money_a_waiting_file_reserves_cant_be_redeemed_meanwhile(thresholds, bulk_file, researcher, owner):
    from rewards.models import Reward
    from rewards.services import Actor, reward_redeem

    account, text = bulk_file
    bulk.bulk_apply(organization=account.organization, text=text, user=researcher)
    big = Reward.objects.get(external_id="RW-BIG")
    with pytest.raises(DomainError, match="holds less than"):
        reward_redeem(reward=big, amount=Money(14_000, USD), actor=Actor.web(owner), note="too much")
    reward_redeem(reward=big, amount=Money(13_000, USD), actor=Actor.web(owner), note="what is free")
    assert available(account) == 0 and reserved(account) == 7_000
    approval = approval_approve(approval=Approval.objects.get(), actor=owner)
    assert "Applied 2 of 2 rows." in approval.outcome  # what was reserved was kept for the file
    assert available(account) == 0 and reserved(account) == 0 and Redemption.objects.count() == 3
    call_command("verify_ledger")


def test_a_second_file_needing_reserved_money_is_refused_with_a_message(thresholds, bulk_file, researcher):
    account, text = bulk_file
    bulk.bulk_apply(organization=account.organization, text=text, user=researcher)
    other = f"account_external_id,reward_external_id,amount,note\n{account.external_id},,140.00,another\n"
    with pytest.raises(DomainError, match="Not enough is available to reserve this file"):
        bulk.bulk_apply(organization=account.organization, text=other, user=researcher)
    assert Approval.objects.count() == 1 and available(account) == 13_000


def test_the_account_page_shows_what_awaits_approval(thresholds, bulk_file, researcher, client_for):
    from django.urls import reverse

    account, text = bulk_file
    bulk.bulk_apply(organization=account.organization, text=text, user=researcher)
    advocate = account.advocates.first()
    page = client_for(researcher).get(reverse("rewards:advocate_detail", args=[advocate.pk])).content.decode()
    assert 'data-balance="reserved-USD">$70.00<' in page and "Awaiting approval (USD)" in page


@pytest.fixture
def reward_file(organization):
    from rewards.services import programs

    account, _ = make_account(organization)
    programs.program_create(organization=organization, name="Referral", currency=USD)
    return account, f"account_external_id,program,amount,source_event\n{account.external_id},Referral,60.00,Big referral\n{account.external_id},Referral,10.00,Small one\n"


def test_a_bulk_reward_creation_file_above_the_threshold_waits_and_gives_nothing(thresholds, reward_file, researcher):
    from rewards.models import Reward

    account, text = reward_file
    rows = bulk.bulk_rewards_apply(organization=account.organization, text=text, user=researcher)
    assert [row.result for row in rows] == [bulk.AWAITING, bulk.AWAITING]
    assert not Reward.objects.filter(account=account).exists()
    approval = Approval.objects.get()
    assert (approval.kind, approval.amount, approval.per_participant) == ("rewards_bulk_create", Money(7_000, USD), Money(7_000, USD))
    assert approval.summary == "Bulk reward file: 2 rows, $70.00"
    with pytest.raises(DomainError, match="awaiting approval already"):
        bulk.bulk_rewards_apply(organization=account.organization, text=text, user=researcher)


def test_a_bulk_reward_file_below_the_threshold_is_given_at_once(thresholds, organization, researcher):
    from rewards.models import Reward
    from rewards.services import programs

    account, _ = make_account(organization)
    programs.program_create(organization=organization, name="Referral", currency=USD)
    text = f"account_external_id,program,amount,source_event\n{account.external_id},Referral,40.00,Referral\n"
    (row,) = bulk.bulk_rewards_apply(organization=organization, text=text, user=researcher)
    assert row.result == "applied" and Reward.objects.filter(account=account).count() == 1
    assert not Approval.objects.exists()


def test_an_approved_bulk_reward_file_gives_its_rewards_exactly_once(thresholds, reward_file, researcher, owner):
    from rewards.models import Reward

    account, text = reward_file
    bulk.bulk_rewards_apply(organization=account.organization, text=text, user=researcher)
    approval = Approval.objects.get()
    with pytest.raises(NotAllowed):
        approval_approve(approval=approval, actor=researcher)
    approval = approval_approve(approval=approval, actor=owner)
    assert "Gave rewards for 2 of 2 rows." in approval.outcome
    rewards = Reward.objects.filter(account=account)
    assert sorted(rewards.values_list("amount_minor", flat=True)) == [1_000, 6_000]
    with pytest.raises(DomainError, match="approved already"):
        approval_approve(approval=approval, actor=owner)
    rows = bulk.bulk_rewards_apply(organization=account.organization, text=text, user=researcher)
    assert all(row.applied_at is not None for row in rows) and rewards.count() == 2
    call_command("verify_ledger")


def test_a_rejected_bulk_reward_file_gives_nothing(thresholds, reward_file, researcher, owner):
    from rewards.models import Reward

    account, text = reward_file
    bulk.bulk_rewards_apply(organization=account.organization, text=text, user=researcher)
    approval_reject(approval=Approval.objects.get(), actor=owner, reason="Not this month")
    assert not Reward.objects.filter(account=account).exists()


def test_the_bulk_rewards_page_says_awaiting_approval_after_and_while_the_file_waits(thresholds, reward_file, client_for, researcher):
    from django.urls import reverse

    account, text = reward_file
    client = client_for(researcher)
    url = reverse("rewards:bulk_rewards")
    page = client.post(url, {"csv_text": text}).content.decode()
    assert page.count("Awaiting approval") >= 2 and 'id="bulk-waits"' in page
    again = client.get(url).content.decode()
    assert 'id="bulk-awaiting-approval"' in again and "Bulk reward file: 2 rows, $70.00" in again


def test_a_reward_whose_money_a_waiting_file_reserves_expires_after_the_file_is_decided(thresholds, organization, researcher, owner):
    import datetime

    from django.utils import timezone

    from rewards.models import Reward
    from rewards.services import rewards_expire_due

    account, _ = make_account(organization)
    reward = make_reward(account, amount_minor=8_000, external_id="RW-EXP")
    bulk.bulk_apply(organization=organization, text="account_external_id,reward_external_id,amount,note\n,RW-EXP,80.00,all of it\n", user=researcher)
    assert reserved(account) == 8_000
    Reward.objects.filter(pk=reward.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    assert rewards_expire_due() == 0  # its money is reserved: the job goes on without it
    approval_reject(approval=Approval.objects.get(), actor=owner, reason="No")
    assert rewards_expire_due() == 1 and available(account) == 0
    call_command("verify_ledger")


def test_reserving_a_file_takes_as_many_queries_for_many_accounts_as_for_one(organization, researcher):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count):
        shares = []
        for _ in range(count):
            account, _ = make_account(organization)
            make_reward(account, amount_minor=5_000)
            shares.append((account.pk, USD, 1_000))
        with CaptureQueriesContext(connection) as captured:
            bulk._post_reservations(organization, shares, actor=researcher, reference="rewards-bulk:test", memo="test", back=False)
        return len(captured)

    assert queries_for(1) == queries_for(5)
    call_command("verify_ledger")
