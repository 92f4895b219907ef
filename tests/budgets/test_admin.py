"""Django admin for budgets: created with their ledger accounts, funded through the service,
the ledger read-only."""

import pytest
from django.urls import reverse

from budgets.models import Budget, LedgerAccount, LedgerTransaction
from budgets.selectors import ledger_problems

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:budgets_budget_changelist")


@pytest.fixture
def staff(owner, client_for):
    owner.is_staff = owner.is_superuser = True
    owner.save()
    return client_for(owner)


def fund(client, budget, amount):
    return client.post(CHANGELIST, {"action": "fund", "_selected_action": [budget.pk], "apply": "1", "amount": amount, "memo": "Grant"})


def available(budget) -> int:
    return LedgerAccount.objects.get(pk=budget.available_account_id).balance_minor


def test_a_budget_added_in_the_admin_gets_its_ledger_accounts(staff, organization):
    staff.post(reverse("admin:budgets_budget_add"), {"organization": organization.pk, "name": "Field trips", "currency": "EUR"})
    budget = Budget.objects.with_accounts().get(name="Field trips")
    assert (budget.available_account.kind, budget.reserved_account.kind, budget.paid_out_account.kind) == ("available", "reserved", "paid_out")
    assert {budget.available_account.currency, budget.reserved_account.currency, budget.paid_out_account.currency} == {"EUR"}


def test_the_fund_action_asks_for_an_amount_then_funds_through_the_ledger(staff, budget, owner):
    form = staff.post(CHANGELIST, {"action": "fund", "_selected_action": [budget.pk]})
    assert "has $1,000.00 available" in form.content.decode()

    response = fund(staff, budget, "250.50")

    assert response.status_code == 302
    assert available(budget) == 125_050
    txn = LedgerTransaction.objects.filter(budget=budget).first()
    assert (txn.kind, txn.actor, txn.memo) == ("fund", owner, "Grant")
    assert ledger_problems() == []


@pytest.mark.parametrize("amount", ["0", "-5", "12.345", "lots"])
def test_a_bad_amount_in_the_fund_action_funds_nothing(staff, budget, amount):
    before = LedgerTransaction.objects.count()
    response = fund(staff, budget, amount)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert available(budget) == 100_000 and LedgerTransaction.objects.count() == before


def test_the_ledger_is_read_only_in_the_admin(staff, budget):
    txn = LedgerTransaction.objects.filter(budget=budget).first()
    assert staff.get(reverse("admin:budgets_ledgertransaction_change", args=[txn.pk])).status_code == 200
    assert staff.get(reverse("admin:budgets_ledgertransaction_add")).status_code == 403
    assert staff.post(reverse("admin:budgets_ledgertransaction_delete", args=[txn.pk]), {"post": "yes"}).status_code == 403
    assert LedgerTransaction.objects.filter(pk=txn.pk).exists()
