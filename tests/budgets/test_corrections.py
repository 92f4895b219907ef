"""Mistakes are corrected by reversal: an owner's "Correct" on a fund or withdrawal posts its
opposite with the reason; the original stays, and each is corrected at most once."""

import re
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from budgets import services
from budgets.models import Budget, LedgerTransaction
from core.money import Money

from ..factories import make_budget

pytestmark = pytest.mark.django_db
USD = "USD"


def fresh(budget) -> Budget:
    return Budget.objects.with_accounts().get(pk=budget.pk)


def funding(budget) -> LedgerTransaction:
    return budget.transactions.get(kind="fund")


def correct_url(budget, txn):
    return reverse("budgets:correct", args=[budget.pk, txn.pk])


def test_reversing_a_fund_takes_the_money_back_out_and_keeps_the_original(organization, owner):
    budget = make_budget(organization, funds_minor=50_000, actor=owner)
    original = funding(budget)
    reversal = services.ledger_reverse(transaction_to_undo=original, actor=owner, reason="typed 500 for 50")
    assert (reversal.kind, reversal.reverses_id, reversal.memo) == ("reversal", original.pk, "typed 500 for 50")
    assert sorted(e.amount_minor for e in reversal.entries.all()) == sorted(-e.amount_minor for e in original.entries.all())
    assert fresh(budget).available_minor == 0
    assert LedgerTransaction.objects.filter(pk=original.pk).exists()
    call_command("verify_ledger")


def test_reversing_a_withdrawal_puts_the_money_back(organization, owner):
    budget = make_budget(organization, funds_minor=50_000, actor=owner)
    withdrawal = services.budget_withdraw(budget=fresh(budget), amount=Money(20_000, USD), actor=owner)
    services.ledger_reverse(transaction_to_undo=withdrawal, actor=owner, reason="wrong budget")
    assert fresh(budget).available_minor == 50_000


def test_a_transaction_is_corrected_once_only(organization, owner):
    budget = make_budget(organization, funds_minor=50_000, actor=owner)
    services.budget_fund(budget=fresh(budget), amount=Money(50_000, USD), actor=owner)
    original = budget.transactions.filter(kind="fund").first()
    services.ledger_reverse(transaction_to_undo=original, actor=owner, reason="twice")
    with pytest.raises(services.NotCorrectable, match="corrected already"):
        services.ledger_reverse(transaction_to_undo=original, actor=owner, reason="twice")
    assert fresh(budget).available_minor == 50_000


def test_a_fund_already_spent_cant_be_reversed_below_zero(organization, owner):
    budget = make_budget(organization, funds_minor=10_000, actor=owner)
    services.budget_reserve(budget=fresh(budget), amount=Money(6_000, USD), actor=owner)
    with pytest.raises(services.InsufficientFunds, match=r"has \$40.00 available; reversing this fund needs \$100.00"):
        services.ledger_reverse(transaction_to_undo=funding(budget), actor=owner, reason="oops")
    assert fresh(budget).available_minor == 4_000 and not budget.transactions.filter(kind="reversal").exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_needs_a_reason(organization, owner, reason):
    budget = make_budget(organization, funds_minor=10_000, actor=owner)
    with pytest.raises(services.NotCorrectable, match="Say why"):
        services.ledger_reverse(transaction_to_undo=funding(budget), actor=owner, reason=reason)


def test_sends_and_reversals_are_not_corrected_by_hand(organization, owner):
    budget = make_budget(organization, funds_minor=10_000, actor=owner)
    reserve = services.budget_reserve(budget=fresh(budget), amount=Money(1_000, USD), actor=owner)
    with pytest.raises(services.NotCorrectable, match="undone by its own action"):
        services.ledger_reverse(transaction_to_undo=reserve, actor=owner, reason="no")
    reversal = services.ledger_reverse(transaction_to_undo=funding(budget), actor=owner, reason="x") if not fresh(budget).reserved_minor else None
    reversal = reversal or services.ledger_reverse(
        transaction_to_undo=services.budget_fund(budget=fresh(budget), amount=Money(500, USD), actor=owner), actor=owner, reason="x"
    )
    with pytest.raises(services.NotCorrectable, match="undone by its own action"):
        services.ledger_reverse(transaction_to_undo=reversal, actor=owner, reason="undo the undo")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_corrections_of_one_fund_post_one_reversal(organization, owner):
    budget = make_budget(organization, funds_minor=10_000, actor=owner)
    services.budget_fund(budget=fresh(budget), amount=Money(10_000, USD), actor=owner)
    original = budget.transactions.filter(kind="fund").first()
    barrier, outcomes = threading.Barrier(2), []

    def correct():
        try:
            mine = LedgerTransaction.objects.get(pk=original.pk)
            barrier.wait()
            services.ledger_reverse(transaction_to_undo=mine, actor=owner, reason="race")
            outcomes.append("ok")
        except services.NotCorrectable:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=correct) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert fresh(budget).available_minor == 10_000
    call_command("verify_ledger")


def test_an_owner_corrects_from_the_budget_page_and_sees_both_rows(client_for, owner, budget):
    client = client_for(owner)
    page = client.get(reverse("budgets:detail", args=[budget.pk])).content.decode()
    assert correct_url(budget, funding(budget)) in page
    response = client.post(correct_url(budget, funding(budget)), {"reason": "wrong amount"}, follow=True)
    page = response.content.decode()
    assert "its opposite is posted" in page
    assert f"Corrects #{funding(budget).pk}" in page and "wrong amount" in page and "Corrected by #" in page
    assert correct_url(budget, funding(budget)) not in page  # no second Correct on a corrected fund
    assert fresh(budget).available_minor == 0


def test_a_refused_correction_shows_its_reason_and_changes_nothing(client_for, owner, budget):
    services.budget_reserve(budget=fresh(budget), amount=Money(90_000, USD), actor=owner)
    response = client_for(owner).post(correct_url(budget, funding(budget)), {"reason": "too late"}, follow=True)
    assert "reversing this fund needs $1,000.00" in response.content.decode()
    assert fresh(budget).available_minor == 10_000


def test_researchers_viewers_and_other_organizations_cant_correct(client_for, researcher, viewer, budget, other_organization):
    from tenancy.models import Membership

    from ..factories import member

    for user in (researcher, viewer):
        assert client_for(user).post(correct_url(budget, funding(budget)), {"reason": "x"}).status_code == 403
        assert "Correct…" not in client_for(user).get(reverse("budgets:detail", args=[budget.pk])).content.decode()
    stranger = member(other_organization, Membership.Role.OWNER)
    assert client_for(stranger).post(correct_url(budget, funding(budget)), {"reason": "x"}).status_code == 404
    assert fresh(budget).available_minor == 100_000


@pytest.mark.parametrize("funds", [3, 30])
def test_the_ledger_renders_its_rows_in_a_constant_number_of_queries(client_for, owner, budget, funds, django_assert_num_queries):
    client = client_for(owner)
    for n in range(funds):
        services.budget_fund(budget=fresh(budget), amount=Money(100, USD), actor=owner, memo=f"top-up {n}")
    with django_assert_num_queries(16):  # and two for approvals: those waiting on this budget, the badge
        page = client.get(reverse("budgets:detail", args=[budget.pk])).content.decode()
    assert len(re.findall(r"top-up \d+<", page)) == min(funds, 25)
    assert page.count("Correct…") == min(funds + 1, 25)  # every fund on the page, the first one too


def test_a_correction_reason_with_a_nul_character_is_refused_with_a_message(client_for, organization, owner):
    budget = make_budget(organization, funds_minor=50_000, actor=owner)
    response = client_for(owner).post(correct_url(budget, funding(budget)), {"reason": "typo\x00"}, follow=True)
    assert response.status_code == 200 and "Reason: Null characters are not allowed." in response.content.decode()
    assert fresh(budget).available_minor == 50_000 and not LedgerTransaction.objects.filter(kind="reversal").exists()
