import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from budgets import services
from budgets.models import Budget, LedgerAccount, LedgerEntry, LedgerTransaction
from budgets.selectors import ledger_problems
from core.money import Money, MoneyError

pytestmark = pytest.mark.django_db


def usd(minor):
    return Money(minor, "USD")


def refreshed(budget):
    for account in (budget.available_account, budget.reserved_account, budget.payable_account, budget.paid_out_account):
        account.refresh_from_db()
    return budget


@pytest.mark.smoke
def test_fund_reserve_settle_and_release_move_money_between_accounts(budget, owner):
    services.budget_reserve(budget=budget, amount=usd(30_000), actor=owner)
    services.budget_settle(budget=budget, amount=usd(10_000), actor=owner)
    services.budget_release(budget=budget, amount=usd(5_000), actor=owner)
    refreshed(budget)
    # A claim (settle) owes the money: payable, not yet paid out.
    assert (budget.available_minor, budget.reserved_minor, budget.payable_minor, budget.paid_out_minor) == (75_000, 15_000, 10_000, 0)
    assert budget.funded_minor == 100_000
    assert ledger_problems() == []


def test_each_movement_is_one_balanced_transaction_naming_its_actor(budget, owner):
    txn = services.budget_reserve(budget=budget, amount=usd(2_500), actor=owner, reference="incentive:1")
    amounts = sorted(txn.entries.values_list("amount_minor", flat=True))
    assert amounts == [-2_500, 2_500]
    assert txn.actor == owner and txn.actor_label == owner.email and txn.reference == "incentive:1"


def test_withdraw_returns_money_to_external_funding(budget, owner):
    services.budget_withdraw(budget=budget, amount=usd(40_000), actor=owner)
    refreshed(budget)
    external = LedgerAccount.objects.get(organization=budget.organization, kind="external", currency="USD")
    assert budget.available_minor == 60_000
    assert sum(external.entries.values_list("amount_minor", flat=True)) == -60_000  # its balance: its entries
    assert external.balance_minor == 0  # and no cached figure for every write to queue on


def test_funds_withdrawals_and_rewards_never_update_the_external_accounts_row(budget, owner):
    """The external account may go negative, so a cached balance on it would guard nothing and
    serialise the organization's writes (issue 12 item 9): none of them UPDATEs its row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    external = LedgerAccount.objects.get(organization=budget.organization, kind="external", currency="USD")
    with CaptureQueriesContext(connection) as queries:
        services.budget_fund(budget=budget, amount=usd(1_000), actor=owner)
        services.budget_withdraw(budget=budget, amount=usd(500), actor=owner)
    updates = [q["sql"] for q in queries.captured_queries if 'UPDATE "budgets_ledgeraccount"' in q["sql"] or "UPDATE budgets_ledgeraccount" in q["sql"]]
    assert len(updates) == 2 and all(f"({external.pk}::bigint" not in sql for sql in updates)
    external.refresh_from_db()
    assert external.balance_minor == 0


def test_a_movement_is_two_statements_one_for_the_balances_one_for_the_records(budget, owner, django_assert_num_queries):
    """The ledger's hot path (issue 17 item 6): a reserve moves two balances in one UPDATE and
    writes the transaction with its entries in one INSERT."""
    budget = Budget.objects.with_accounts().select_related("organization").get(pk=budget.pk)
    with django_assert_num_queries(2):
        txn = services.budget_reserve(budget=budget, amount=usd(1_000), actor=owner)
    assert sorted(txn.entries.values_list("amount_minor", flat=True)) == [-1_000, 1_000]
    assert txn.created_at is not None and LedgerTransaction.objects.get(pk=txn.pk).kind == "reserve"


def test_reserving_more_than_available_is_refused_with_figures_and_changes_nothing(budget, owner):
    before = LedgerTransaction.objects.count()
    with pytest.raises(services.InsufficientFunds) as refused:
        services.budget_reserve(budget=budget, amount=usd(150_000), actor=owner)
    assert refused.value.message == "Budget Interviews has $1,000.00 available; this send needs $1,500.00."
    assert LedgerTransaction.objects.count() == before
    assert refreshed(budget).available_minor == 100_000


def test_releasing_more_than_reserved_is_refused(budget, owner):
    with pytest.raises(services.InsufficientFunds, match="reserved"):
        services.budget_release(budget=budget, amount=usd(1), actor=owner)


@pytest.mark.parametrize(
    "amount, message",
    [
        (usd(0), "greater than zero"),
        (usd(-500), "greater than zero"),
        (Money(500, "EUR"), "This budget is in USD; the amount is in EUR."),
        (500, "Amounts are Money"),
    ],
)
def test_bad_amounts_are_refused_and_change_nothing(budget, owner, amount, message):
    before = LedgerEntry.objects.count()
    with pytest.raises(services.InvalidAmount, match=message):
        services.budget_fund(budget=budget, amount=amount, actor=owner)
    assert LedgerEntry.objects.count() == before
    assert refreshed(budget).available_minor == 100_000


def test_non_integer_minor_units_are_not_money():
    with pytest.raises(MoneyError, match="whole numbers"):
        Money(12.5, "USD")
    with pytest.raises(MoneyError, match="at most 2 decimals"):
        Money.parse("12.345", "USD")


def test_database_refuses_a_negative_balance_even_without_the_service(budget):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=budget.available_account_id).update(balance_minor=-1)


@pytest.mark.parametrize("statement", ["UPDATE budgets_ledgerentry SET amount_minor = 1", "DELETE FROM budgets_ledgerentry"])
def test_database_refuses_to_edit_or_delete_ledger_entries(budget, statement):
    with pytest.raises(Exception, match="Cannot"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert LedgerEntry.objects.count() == 2


def test_verify_ledger_notices_a_drifted_cached_balance(budget):
    LedgerAccount.objects.filter(pk=budget.available_account_id).update(balance_minor=99)
    problems = ledger_problems()
    assert len(problems) == 1 and "caches 99 but its entries sum to 100000" in problems[0]


def test_the_verify_ledger_command_fails_on_a_drifted_budget_balance(budget):
    call_command("verify_ledger")
    LedgerAccount.objects.filter(pk=budget.reserved_account_id).update(balance_minor=7)
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_ledger")


def test_ledger_post_refuses_unbalanced_and_cross_tenant_postings(budget, other_organization, owner):
    with pytest.raises(services.LedgerError, match="sum to zero"):
        services.ledger_post(organization=budget.organization, kind="fund", postings=[(budget.available_account, 5)])
    foreign = services.external_account(organization=other_organization, currency="USD")
    with pytest.raises(services.LedgerError, match="one organization"):
        services.ledger_post(
            organization=budget.organization,
            kind="fund",
            postings=[(foreign, -5), (budget.available_account, 5)],
        )
