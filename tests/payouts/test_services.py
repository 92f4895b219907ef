"""The payout services one by one: what moves in the ledger, and that repeating moves nothing."""

import datetime

import pytest
from django.utils import timezone

from budgets.models import Budget, LedgerTransaction
from budgets.selectors import ledger_problems
from core.errors import InvalidInput
from core.models import OutboundEmail
from incentives.models import Incentive
from payouts import services
from payouts.models import Payout

from .conftest import claimed, payout_of

pytestmark = pytest.mark.django_db


def accounts(study):
    budget = Budget.objects.with_accounts().get(pk=study.budget_id)
    return budget.reserved_minor, budget.payable_minor, budget.paid_out_minor


def test_a_claim_owes_the_money_reserved_to_payable(usd_study, owner):
    incentive = claimed(usd_study, 1, "gift_card", actor=owner)[0]
    assert accounts(usd_study) == (0, 2_500, 0)
    assert incentive.payout_status == "owed"
    assert LedgerTransaction.objects.filter(reference=incentive.reference, kind="settle").count() == 1


def test_euro_transfers_are_not_batched_without_the_paying_account(eur_study, owner, finance):
    claimed(eur_study, 1, "bank_transfer", actor=owner)
    organization = eur_study.organization
    organization.sepa_debtor_iban = ""
    organization.save()
    with pytest.raises(services.PayoutError, match="Settings"):
        services.payout_batch_create(organization=organization, method="bank_transfer", currency="EUR", actor=finance)
    assert Incentive.objects.get().payout_status == "owed" and not Payout.objects.exists()


def test_a_payout_that_fails_before_the_batch_is_sent_moves_no_money_and_stays_out_of_it(usd_study, owner, finance):
    first, second = claimed(usd_study, 2, "gift_card", actor=owner)
    batch = services.payout_batch_create(organization=usd_study.organization, method="gift_card", currency="USD", actor=finance)
    assert services.payout_mark_failed(payout=payout_of(first), reason="Email bounced", actor=finance)
    assert accounts(usd_study) == (0, 5_000, 0)
    services.payout_batch_mark_sent(batch=batch, actor=finance)
    assert accounts(usd_study) == (0, 2_500, 2_500)
    assert payout_of(first).status == "failed" and payout_of(second).status == "sent"
    assert ledger_problems() == []


def test_a_returned_payout_comes_back_and_the_participant_is_emailed_their_link(usd_study, owner, finance, django_capture_on_commit_callbacks):
    incentive = claimed(usd_study, 1, "bank_transfer", actor=owner)[0]
    batch = services.payout_batch_create(organization=usd_study.organization, method="bank_transfer", currency="USD", actor=finance)
    services.payout_batch_mark_sent(batch=batch, actor=finance)
    with django_capture_on_commit_callbacks(execute=True):
        services.payout_mark_failed(payout=payout_of(incentive), reason="No such account (AC01)", actor=finance)
    assert accounts(usd_study) == (0, 2_500, 0)
    assert payout_of(incentive).status == "returned"
    email = OutboundEmail.objects.get(purpose="payout_returned")
    assert email.secret_link == f"incentive-claim:{incentive.pk}" and "No such account (AC01)" in email.text_body
    assert email.to_email == incentive.participant.email
    assert LedgerTransaction.objects.filter(kind="payout_returned", memo__contains="AC01").count() == 1


def test_a_reason_is_required_to_mark_a_payout_failed(usd_study, owner, finance):
    incentive = claimed(usd_study, 1, "gift_card", actor=owner)[0]
    services.payout_batch_create(organization=usd_study.organization, method="gift_card", currency="USD", actor=finance)
    with pytest.raises(InvalidInput):
        services.payout_mark_failed(payout=payout_of(incentive), reason="  ", actor=finance)
    assert payout_of(incentive).status == "pending"


def test_abandoning_returns_the_money_to_available_with_the_reason_and_erases_the_details(usd_study, owner, finance):
    incentive = claimed(usd_study, 1, "gift_card", actor=owner)[0]
    batch = services.payout_batch_create(organization=usd_study.organization, method="gift_card", currency="USD", actor=finance)
    services.payout_batch_mark_sent(batch=batch, actor=finance)
    services.payout_mark_failed(payout=payout_of(incentive), reason="Bounced", actor=finance)
    budget = Budget.objects.with_accounts().get(pk=usd_study.budget_id)
    available = budget.available_minor
    assert services.payouts_abandon_due() == 0  # within the period
    assert services.payouts_abandon_due(now=timezone.now() + datetime.timedelta(days=91)) == 1
    budget = Budget.objects.with_accounts().get(pk=usd_study.budget_id)
    assert budget.available_minor == available + 2_500 and budget.payable_minor == 0
    txn = LedgerTransaction.objects.get(kind="payout_abandoned")
    assert "not corrected within 90 days" in txn.memo
    incentive.refresh_from_db()
    assert incentive.payout_details == {} and incentive.payout_details_masked == {"gift_card_email": incentive.payout_details_masked["gift_card_email"]}


def test_details_are_erased_the_organizations_days_after_payment_keeping_the_mask(usd_study, owner, finance):
    incentive = claimed(usd_study, 1, "bank_transfer", actor=owner)[0]
    batch = services.payout_batch_create(organization=usd_study.organization, method="bank_transfer", currency="USD", actor=finance)
    services.payout_batch_mark_sent(batch=batch, actor=finance)
    assert services.payout_details_erase_due() == 0
    later = timezone.now() + datetime.timedelta(days=31)
    assert services.payout_details_erase_due(now=later) == 1 and services.payout_details_erase_due(now=later) == 0
    incentive.refresh_from_db()
    assert incentive.payout_details == {} and incentive.payout_details_erased_at
    assert incentive.payout_destination.startswith("bank transfer to ") and "•" in incentive.payout_destination


def test_a_batch_is_made_per_organization_only(usd_study, owner, finance, other_organization):
    claimed(usd_study, 1, "gift_card", actor=owner)
    with pytest.raises(services.PayoutError, match="Nothing is owed"):
        services.payout_batch_create(organization=other_organization, method="gift_card", currency="USD", actor=None)


def test_the_payout_groups_of_the_totals_cover_every_payout_status_but_abandoned():
    from budgets.selectors import PAYOUT_GROUPS

    assert sorted(sum(PAYOUT_GROUPS.values(), [])) == sorted(set(Incentive.PayoutStatus.values) - {"abandoned"})
