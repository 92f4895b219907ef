"""Twenty requests race for one budget: the conditional update lets exactly the funded ones through."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from budgets import services
from budgets.models import Budget
from core.money import Money

from ..factories import make_budget


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_reserves_of_ten_from_a_hundred_let_exactly_ten_through(organization, owner):
    budget = make_budget(organization, funds_minor=10_000, actor=owner)
    barrier = threading.Barrier(20)
    outcomes = []

    def reserve():
        try:
            mine = Budget.objects.with_accounts().get(pk=budget.pk)
            barrier.wait()
            services.budget_reserve(budget=mine, amount=Money(1_000, "USD"), actor=owner)
            outcomes.append("ok")
        except services.InsufficientFunds:
            outcomes.append("insufficient")
        except Exception as error:  # anything else is a bug the assertion below shows
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["insufficient"] * 10 + ["ok"] * 10
    budget = Budget.objects.with_accounts().get(pk=budget.pk)
    assert (budget.available_minor, budget.reserved_minor) == (0, 10_000)
    call_command("verify_ledger")
