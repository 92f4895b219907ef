"""Yearly tax totals of research incentives: per participant across studies, the send step's
warning and the W-9 hold at the threshold (to the cent), and the yearly CSV."""

import io
import csv

import pytest
from django.urls import reverse
from django.utils import timezone

from core.money import Money
from core.tax import tax_threshold_set
from incentives import services, tax
from incentives.models import Incentive
from studies.models import Participant, StudyParticipant

from ..factories import make_budget
from ..studies.factories import make_study

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def big_budget(organization, owner):
    return make_budget(organization, name="Panel", funds_minor=10_000_000, actor=owner)


@pytest.fixture
def ada(organization):
    return Participant.objects.create(organization=organization, name="Ada Lovelace", email="ada@example.test")


def pay(big_budget, researcher, person, amount_minor, *, claim=True):
    """A new study, the person done in it, one incentive sent (and claimed)."""
    study = make_study(budget=big_budget, owner=researcher)
    StudyParticipant.objects.create(organization=study.organization, study=study, participant=person, status=StudyParticipant.Status.INCENTIVE_NOT_SENT)
    (incentive,) = services.incentives_send(
        study=study, participant_ids=[person.pk], amount=Money(amount_minor, "USD"), subject="Thanks", message="Hi", actor=researcher
    )
    if claim:
        incentive = services.incentive_claim(incentive=incentive, payout_method="gift_card", payout_details={"gift_card_email": person.email})
    return incentive


def test_the_year_total_counts_claims_across_studies_and_outstanding_sends(organization, big_budget, researcher, ada):
    pay(big_budget, researcher, ada, 100_000)
    pay(big_budget, researcher, ada, 50_000)
    pay(big_budget, researcher, ada, 20_000, claim=False)
    (row,) = tax.participant_year_totals(organization=organization, year=tax.current_year(organization))
    assert (row.email, row.paid_minor, row.outstanding_minor, row.paid_count) == ("ada@example.test", 150_000, 20_000, 2)


def test_reaching_exactly_the_threshold_is_not_held(big_budget, researcher, ada):
    pay(big_budget, researcher, ada, 150_000)
    assert pay(big_budget, researcher, ada, 50_000, claim=False).w9_hold is False


def test_one_cent_above_the_threshold_holds_the_incentive_for_the_w9(big_budget, researcher, ada):
    pay(big_budget, researcher, ada, 150_000)
    assert pay(big_budget, researcher, ada, 50_001, claim=False).w9_hold is True


def test_a_w9_on_file_means_no_hold(big_budget, researcher, ada):
    services.participant_mark_w9(participant=ada, actor=researcher)
    pay(big_budget, researcher, ada, 150_000)
    assert pay(big_budget, researcher, ada, 60_000, claim=False).w9_hold is False


def test_the_organizations_own_threshold_for_the_year_is_used(organization, big_budget, researcher, ada):
    tax_threshold_set(organization=organization, year=tax.current_year(organization), amount=Money(60_000, "USD"))
    pay(big_budget, researcher, ada, 60_000)
    assert pay(big_budget, researcher, ada, 1, claim=False).w9_hold is True


def test_the_send_step_warns_who_will_cross_the_threshold(client_for, big_budget, researcher, ada):
    pay(big_budget, researcher, ada, 195_000)  # $1,950.00 paid so far; the send adds $75.00
    study = make_study(budget=big_budget, owner=researcher, amount_minor=7_500)
    StudyParticipant.objects.create(organization=study.organization, study=study, participant=ada, status=StudyParticipant.Status.INCENTIVE_NOT_SENT)
    page = client_for(researcher).post(
        reverse("incentives:send", args=[study.pk]), {"participants": [ada.pk], "step": "message"}, **HTMX
    ).content.decode()
    assert "Ada Lovelace will reach $2,025.00 this year; above $2,000.00 a W-9 is needed." in page
    assert "The claim page will ask for it" in page


def test_the_send_step_is_quiet_below_the_threshold(client_for, big_budget, researcher, ada):
    study = make_study(budget=big_budget, owner=researcher)
    StudyParticipant.objects.create(organization=study.organization, study=study, participant=ada, status=StudyParticipant.Status.INCENTIVE_NOT_SENT)
    page = client_for(researcher).post(reverse("incentives:send", args=[study.pk]), {"participants": [ada.pk], "step": "message"}, **HTMX).content.decode()
    assert "tax-warning" not in page


def test_the_claim_page_asks_for_the_w9_of_a_held_incentive(client, big_budget, researcher, ada):
    from incentives import tokens

    pay(big_budget, researcher, ada, 199_000)
    held = pay(big_budget, researcher, ada, 5_000, claim=False)
    page = client.get(reverse("incentives:claim", args=[tokens.claim_token(held.token_nonce)])).content.decode()
    assert "A W-9 is needed before this payment is sent." in page


def test_marking_the_w9_received_lifts_the_hold(client_for, owner, big_budget, researcher, ada):
    pay(big_budget, researcher, ada, 199_000)
    held = pay(big_budget, researcher, ada, 5_000)
    page = client_for(owner).post(reverse("budgets:participant_w9", args=[ada.pk]), follow=True).content.decode()
    assert "W-9 of Ada Lovelace marked received; 1 held incentive may be paid out." in page
    held.refresh_from_db()
    ada.refresh_from_db()
    assert held.w9_hold is False and ada.w9_submitted_at is not None


def test_the_yearly_csv_has_one_row_per_participant_for_1099_filing(client_for, owner, organization, big_budget, researcher, ada):
    pay(big_budget, researcher, ada, 150_000)
    pay(big_budget, researcher, ada, 60_000)
    year = tax.current_year(organization)
    response = client_for(owner).get(reverse("budgets:tax"), {"year": year, "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == tax.REPORT_HEADER
    assert rows[1] == ["Ada Lovelace", "ada@example.test", str(year), "2100.00", "0.00", "USD", "2", "yes", ""]


def test_the_tax_page_is_for_owners_and_admins_and_hides_other_organizations(client_for, researcher, owner, other_organization, big_budget, ada):
    pay(big_budget, researcher, ada, 1_000)
    outsider = Participant.objects.create(organization=other_organization, name="Secret Globex person", email="s@example.test")
    assert client_for(researcher).get(reverse("budgets:tax")).status_code == 403
    page = client_for(owner).get(reverse("budgets:tax")).content.decode()
    assert "Ada Lovelace" in page and "Secret Globex person" not in page
    assert client_for(owner).post(reverse("budgets:participant_w9", args=[outsider.pk])).status_code == 404


def test_the_tax_page_makes_the_same_number_of_queries_for_few_and_many(client_for, owner, organization, big_budget, researcher, django_assert_max_num_queries):
    for number in range(4):
        person = Participant.objects.create(organization=organization, name=f"P{number}", email=f"p{number}@example.test")
        pay(big_budget, researcher, person, 1_000)
    client = client_for(owner)
    with django_assert_max_num_queries(9):  # session, user, memberships, threshold, count, page, W-9s to review, beat's last tick
        page = client.get(reverse("budgets:tax")).content.decode()
    assert "P3" in page


def test_an_owner_sets_the_years_threshold_on_the_tax_page(client_for, owner, organization):
    year = tax.current_year(organization)
    page = client_for(owner).post(reverse("budgets:tax_threshold"), {"year": year, "amount": "2,100.00"}, follow=True).content.decode()
    assert f"The {year} threshold is $2,100.00." in page
    from core.tax import tax_threshold

    assert tax_threshold(organization=organization, year=year) == Money(210_000, "USD")
    page = client_for(owner).post(reverse("budgets:tax_threshold"), {"year": year, "amount": "lots"}, follow=True).content.decode()
    assert "is not an amount" in page


def test_researchers_cannot_set_the_threshold(client_for, researcher, organization):
    assert client_for(researcher).post(reverse("budgets:tax_threshold"), {"year": 2026, "amount": "1.00"}).status_code == 403


def test_a_negative_threshold_is_refused_with_a_message(client_for, owner, organization):
    page = client_for(owner).post(reverse("budgets:tax_threshold"), {"year": 2026, "amount": "-5.00"}, follow=True).content.decode()
    assert "The threshold can&#x27;t be negative." in page


def test_a_send_awaiting_approval_counts_towards_the_next_sends_year_total(organization, big_budget, researcher, ada):
    from approvals.models import Approval
    from tenancy.models import Organization

    pay(big_budget, researcher, ada, 150_000)
    Organization.objects.filter(pk=organization.pk).update(approval_currency="USD", approval_participant_above_minor=20_000)
    waiting = pay(big_budget, researcher, ada, 30_000, claim=False)
    assert waiting.status == Incentive.Status.AWAITING_APPROVAL and Approval.objects.count() == 1
    assert pay(big_budget, researcher, ada, 30_000, claim=False).w9_hold is True  # $1,500 + $300 waiting + $300
