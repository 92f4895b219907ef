"""Claiming, cancelling, expiring and reminding at service level."""

import pytest
from django.core import mail
from django.core.management import call_command

from core.models import OutboundEmail
from incentives import services, tokens
from incentives.models import Incentive
from studies.models import StudyParticipant
from incentives.services.studies import study_close

from .helpers import send_to, token_from
from .test_send import budget_figures

pytestmark = pytest.mark.django_db


def claim(incentive, method="gift_card", details=None):
    return services.incentive_claim(incentive=incentive, payout_method=method, payout_details=details or {"gift_card_email": "me@example.test"})


@pytest.mark.smoke
def test_the_whole_journey_send_email_claim_settles_the_ledger(study, researcher, budget, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_to(study, 2, actor=researcher)
    token = token_from(mail.outbox[0])
    incentive = services.incentive_for_token(token)
    assert services.claim_refusal(incentive) is None
    claimed = claim(incentive, "bank_transfer", {"account_holder": "Ada", "iban": "DE89 3704 0044 0532 0130 00"})
    assert claimed.status == "claimed" and claimed.claimed_at and claimed.payout_method == "bank_transfer"
    assert claimed.payout_details == {"account_holder": "Ada", "iban": "DE89370400440532013000"}
    assert claimed.payout_status == "owed" and claimed.payout_details_masked["iban"] == "DE89 •••• 3000"
    assert budget_figures(budget) == (95_000, 2_500, 2_500)
    call_command("verify_ledger")


def test_claiming_twice_pays_once(study, researcher, budget):
    incentive = send_to(study, 1, actor=researcher)[0]
    claim(incentive)
    with pytest.raises(services.ClaimRefused) as refused:
        claim(Incentive.objects.get(pk=incentive.pk))
    assert refused.value.code == "claimed" and budget_figures(budget) == (97_500, 0, 2_500)


def test_an_unknown_token_finds_nothing():
    assert services.incentive_for_token("x" * 43) is None
    assert services.claim_refusal(None).code == "unknown"


def test_a_payout_method_the_organization_does_not_offer_is_refused(study, researcher, budget):
    study.organization.payout_methods = ["charity"]
    study.organization.save()
    incentive = send_to(study, 1, actor=researcher)[0]
    with pytest.raises(services.IncentiveError, match="payout methods"):
        claim(incentive, "gift_card")
    assert Incentive.objects.get(pk=incentive.pk).status == "unclaimed" and budget_figures(budget) == (97_500, 2_500, 0)


def test_cancel_returns_the_money_is_idempotent_and_the_participant_can_be_paid_again(study, researcher, budget):
    incentive = send_to(study, 1, actor=researcher)[0]
    assert services.incentive_cancel(incentive=incentive, actor=researcher) is True
    assert services.incentive_cancel(incentive=incentive, actor=researcher) is False
    assert budget_figures(budget) == (100_000, 0, 0)
    row = StudyParticipant.objects.get(study=study, participant=incentive.participant)
    assert row.status == "incentive_not_sent"
    with pytest.raises(services.ClaimRefused) as refused:
        claim(Incentive.objects.get(pk=incentive.pk))
    assert refused.value.code == "cancelled"
    again = services.incentives_send(study=study, participant_ids=[incentive.participant_id], amount=incentive.amount, subject="Again", message="", actor=researcher)
    assert len(again) == 1
    call_command("verify_ledger")


def test_a_claimed_incentive_cant_be_cancelled(study, researcher, budget):
    incentive = send_to(study, 1, actor=researcher)[0]
    claim(incentive)
    with pytest.raises(services.IncentiveError) as refused:
        services.incentive_cancel(incentive=Incentive.objects.get(pk=incentive.pk), actor=researcher)
    assert refused.value.code == "already_claimed" and budget_figures(budget) == (97_500, 0, 2_500)


def test_closing_a_study_expires_its_unclaimed_incentives_when_claims_after_closing_are_off(study, researcher, budget):
    study.organization.claims_allowed_after_study_closes = False
    study.organization.save()
    unclaimed, claimed = send_to(study, 2, actor=researcher)
    claim(claimed)
    study_close(study=study, actor=researcher)
    assert Incentive.objects.get(pk=unclaimed.pk).status == "expired"
    assert Incentive.objects.get(pk=claimed.pk).status == "claimed"
    assert budget_figures(budget) == (97_500, 0, 2_500)
    assert services.claim_refusal(services.incentive_for_token(tokens.claim_token(unclaimed.token_nonce))).code == "expired"
    call_command("verify_ledger")


def test_by_default_links_of_a_closed_study_can_still_be_claimed(study, researcher):
    incentive = send_to(study, 1, actor=researcher)[0]
    study_close(study=study, actor=researcher)
    assert claim(services.incentive_for_token(tokens.claim_token(incentive.token_nonce))).status == "claimed"


def test_a_reminder_carries_the_same_claim_link_and_is_counted(study, researcher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incentive = send_to(study, 1, actor=researcher)[0]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.incentive_remind(incentive=incentive, actor=researcher) is True
    first, reminder = mail.outbox
    assert token_from(first) == token_from(reminder)
    assert reminder.subject == "Reminder: Thank you"
    incentive.refresh_from_db()
    assert incentive.reminder_count == 1 and incentive.last_reminded_at


def test_no_reminder_for_a_claimed_incentive(study, researcher):
    incentive = send_to(study, 1, actor=researcher)[0]
    claim(incentive)
    assert services.incentive_remind(incentive=incentive, actor=researcher) is False
    assert OutboundEmail.objects.filter(purpose="incentive_reminder").count() == 0


def test_switching_off_claims_after_close_expires_what_closed_studies_still_reserve(client_for, owner, study, researcher, budget):
    """The settings page's service: the incentives the new policy refuses expire in the same
    transaction, their money returns, and the manager is told; open studies are untouched."""
    from django.urls import reverse

    from ..tenancy.test_settings import POLICIES

    stranded = send_to(study, 1, actor=researcher)[0]
    study_close(study=study, actor=researcher)
    assert Incentive.objects.get(pk=stranded.pk).status == "unclaimed" and budget_figures(budget)[1] == 2_500
    open_study = type(study).objects.create(
        organization=study.organization, name="Still open", budget=budget, incentive_amount_minor=100, currency="USD"
    )
    open_study.owners.add(researcher)
    still_open = send_to(open_study, 1, actor=researcher, amount_minor=100)[0]

    off = {key: value for key, value in POLICIES.items() if key != "claims_allowed_after_study_closes"}
    page = client_for(owner).post(reverse("tenancy:settings"), off, follow=True).content.decode()
    assert "1 unclaimed incentive of closed studies expired; their money is back in the budgets." in page
    assert Incentive.objects.get(pk=stranded.pk).status == "expired"
    assert Incentive.objects.get(pk=still_open.pk).status == "unclaimed"
    assert budget_figures(budget) == (99_900, 100, 0)
    again = client_for(owner).post(reverse("tenancy:settings"), off, follow=True).content.decode()
    assert "expired" not in again and budget_figures(budget) == (99_900, 100, 0)
    call_command("verify_ledger")
