import io

import pytest
from django.core.management import call_command

from budgets.selectors import ledger_problems
from incentives.demo_scale import BENCH_STUDY, incentives_bulk_seed
from incentives.models import Incentive

pytestmark = pytest.mark.django_db


def test_seed_demo_scale_adds_that_many_incentives_once_and_keeps_the_ledger_sound():
    call_command("seed_demo", "--scale", "40", stdout=io.StringIO())
    call_command("seed_demo", "--scale", "40", stdout=io.StringIO())
    rows = Incentive.objects.filter(study__name=BENCH_STUDY)
    assert rows.count() == 40
    assert set(rows.values_list("status", flat=True)) == {"unclaimed", "claimed", "cancelled"}
    assert ledger_problems() == []


def test_bulk_seeded_incentives_match_their_budgets_accounts(study):
    incentives_bulk_seed(study=study, count=25)
    budget = study.budget
    budget.reserved_account.refresh_from_db()
    budget.payable_account.refresh_from_db()
    rows = Incentive.objects.filter(study=study)
    assert budget.reserved_account.balance_minor == sum(rows.filter(status="unclaimed").values_list("amount_minor", flat=True))
    # Claimed ones are owed: payable until a payout batch pays them.
    owed = rows.filter(status="claimed", payout_status="owed")
    assert owed.count() == rows.filter(status="claimed").count()
    assert budget.payable_account.balance_minor == sum(owed.values_list("amount_minor", flat=True))
    assert ledger_problems() == []
