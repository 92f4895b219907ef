import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from budgets.selectors import ledger_problems
from core.tokens import derive_token, derive_tokens, new_nonce
from incentives.demo_scale import BENCH_STUDY, incentives_bulk_seed
from incentives.models import Incentive
from incentives.tokens import claim_token, token_hash
from studies.models import Participant, Study, StudyParticipant

pytestmark = pytest.mark.django_db


def test_seed_demo_scale_adds_that_many_incentives_once_and_keeps_the_ledger_sound():
    call_command("seed_demo", "--scale", "400", stdout=io.StringIO())
    call_command("seed_demo", "--scale", "400", stdout=io.StringIO())
    rows = Incentive.objects.filter(study__name__startswith=BENCH_STUDY)
    assert rows.count() == 400
    assert set(rows.values_list("status", flat=True)) == {"unclaimed", "claimed", "cancelled"}
    assert ledger_problems() == []


def test_the_scale_seed_spreads_over_50_studies_and_10_budgets_five_studies_a_participant():
    call_command("seed_demo", "--scale", "1000", stdout=io.StringIO())
    studies = Study.objects.filter(name__startswith=BENCH_STUDY)
    assert studies.count() == 50 and len({s.budget_id for s in studies}) == 10
    rows = Incentive.objects.filter(study__in=studies)
    people = Participant.objects.filter(email__endswith="@bench.test")
    assert rows.count() == 1000 and people.count() == 200
    assert set(rows.values("participant").annotate(n=Count("pk")).values_list("n", flat=True)) == {5}
    sizes = sorted(rows.values("study").annotate(n=Count("pk")).values_list("n", flat=True))
    assert sizes[-1] > 4 * sizes[0]  # a few large studies, many small ones
    # Each incentive's participant is in its study: sent, or back in the Done group when cancelled.
    members = StudyParticipant.objects.filter(study__in=studies)
    assert members.count() == 1000
    assert members.filter(status="incentive_not_sent").count() == rows.filter(status="cancelled").count()
    # The claim links work: the stored hash is the hash of the token derived from the nonce.
    some = rows.order_by("pk")[:3]
    assert all(row.token_hash == token_hash(derive_token("incentives.claim", row.token_nonce)) == token_hash(claim_token(row.token_nonce)) for row in some)
    claimed = rows.filter(status="claimed").first()
    assert claimed.payout_details_masked["gift_card_email"].endswith("@bench.test")
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


def test_tokens_derived_in_bulk_are_the_links_tokens():
    nonces = [new_nonce() for _ in range(5)]
    assert derive_tokens("incentives.claim", nonces) == [claim_token(nonce) for nonce in nonces]
