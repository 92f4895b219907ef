"""The send wizard (htmx steps) and the public claim page."""

from unittest import mock

import pytest
from django.urls import reverse

from core.models import OutboundEmail
from incentives import tokens
from incentives.models import Incentive
from incentives.views.claim import CLAIM_LOOKUPS_PER_WINDOW
from studies.models import StudyParticipant

from ..factories import member
from ..studies.factories import add_participants
from .helpers import send_to
from .test_send import budget_figures

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def wizard(client, study, **data):
    return client.post(reverse("incentives:send", args=[study.pk]), data, **HTMX)


@pytest.fixture
def two_done(study):
    return [p.pk for p in add_participants(study, 2)]


def test_the_amount_step_lists_the_chosen_people_and_the_plan_amount(client_for, researcher, study, two_done):
    page = wizard(client_for(researcher), study, participants=two_done, step="amount").content.decode()
    assert "To 2 participants" in page and 'value="25.00"' in page and 'value="message"' in page


def test_nobody_chosen_is_a_clear_message(client_for, researcher, study):
    page = wizard(client_for(researcher), study, step="amount").content.decode()
    assert "Choose at least one participant from the Done group." in page


@pytest.mark.parametrize("amount, error", [("0", "greater than zero"), ("-3", "greater than zero"), ("ten", "is not an amount")])
def test_a_bad_amount_stays_on_the_amount_step_with_the_reason(client_for, researcher, study, two_done, amount, error):
    page = wizard(client_for(researcher), study, participants=two_done, amount=amount, step="message").content.decode()
    assert error in page and 'value="message"' in page and "Preview Email" not in page


def test_a_participant_outside_the_done_group_is_refused_by_the_wizard(client_for, researcher, study, two_done):
    scheduled = add_participants(study, 1, StudyParticipant.Status.SCHEDULED)[0]
    page = wizard(client_for(researcher), study, participants=[*two_done, scheduled.pk], step="message").content.decode()
    assert "Only participants in the Done group can be paid" in page and scheduled.name in page


def test_the_message_step_has_a_default_text_and_the_send_button(client_for, researcher, study, two_done):
    page = wizard(client_for(researcher), study, participants=two_done, amount="30", step="message").content.decode()
    assert "Thank you for taking part in Onboarding interviews" in page
    assert "Send to 2 participants" in page and "$60.00 in all" in page


def test_the_preview_shows_the_text_and_frames_the_exact_html(client_for, researcher, study, two_done):
    client = client_for(researcher)
    page = wizard(client, study, participants=two_done, amount="30", subject="Thanks!", message="Hi {name}, <b>thanks</b>", step="preview").content.decode()
    assert "Preview: Thanks!" in page and "Hi Person" in page and "$30.00" in page
    html = client.get(reverse("incentives:send_preview_html", args=[study.pk]))
    body = html.content.decode()
    assert "Claim your incentive" in body and "$30.00" in body and "&lt;b&gt;thanks&lt;/b&gt;" in body
    assert "sandbox" in html["Content-Security-Policy"]
    assert not Incentive.objects.exists() and not OutboundEmail.objects.exists()


@pytest.mark.smoke
def test_send_from_the_wizard_pays_emails_and_refreshes_the_panel(client_for, researcher, study, budget, two_done, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard(client_for(researcher), study, participants=two_done, amount="30", subject="Thanks", message="Hi {name}", step="send")
    page = response.content.decode()
    assert response.status_code == 200 and "Sent 2 incentives of $30.00" in page and 'hx-swap-oob="true"' in page
    assert budget_figures(budget) == (94_000, 6_000, 0)
    assert OutboundEmail.objects.filter(purpose="incentive_claim", status="sent").count() == 2


def test_a_double_click_on_send_pays_once(client_for, researcher, study, budget, two_done):
    client = client_for(researcher)
    data = dict(participants=two_done, amount="30", subject="Thanks", message="Hi", step="send")
    wizard(client, study, **data)
    again = wizard(client, study, **data)
    assert again.status_code == 200 and "Only participants in the Done group can be paid" in again.content.decode()
    assert Incentive.objects.count() == 2 and budget_figures(budget) == (94_000, 6_000, 0)


def test_insufficient_funds_are_explained_at_the_amount_step_with_what_is_short(client_for, researcher, study, budget, two_done):
    response = wizard(client_for(researcher), study, participants=two_done, amount="600", subject="Thanks", message="Hi", step="send")
    body = response.content.decode()
    assert 'aria-current="step">1. Amount' in body
    assert "Interviews has $1,000.00 available; 2 × $600.00 needs $1,200.00, $200.00 more." in body
    assert not Incentive.objects.exists() and budget_figures(budget) == (100_000, 0, 0)


def test_an_unknown_placeholder_is_refused_with_the_known_ones(client_for, researcher, study, two_done):
    response = wizard(client_for(researcher), study, participants=two_done, amount="30", subject="Thanks", message="Hi {nmae}", step="preview")
    assert "Unknown placeholder: {nmae}. The placeholders you can use: {name}." in response.content.decode()
    assert not Incentive.objects.exists()


def test_a_non_owner_researcher_and_a_viewer_cant_send(client_for, organization, viewer, study, budget, two_done):
    for user in (member(organization, "researcher"), viewer):
        response = wizard(client_for(user), study, participants=two_done, amount="30", subject="Thanks", message="Hi", step="send")
        assert response.status_code == 403
    assert not Incentive.objects.exists() and budget_figures(budget) == (100_000, 0, 0)


@pytest.mark.parametrize("name", ["incentives:send", "incentives:send_preview_html"])
def test_another_organizations_study_is_not_found(client_for, outsider, study, two_done, name):
    client = client_for(outsider)
    url = reverse(name, args=[study.pk])
    response = client.post(url, {"participants": two_done, "step": "send"}) if name == "incentives:send" else client.get(url)
    assert response.status_code == 404 and not Incentive.objects.exists()


# The claim page


def claim_url(incentive):
    return reverse("incentives:claim", args=[tokens.claim_token(incentive.token_nonce)])


@pytest.fixture
def incentive(study, researcher):
    return send_to(study, 1, actor=researcher)[0]


@pytest.mark.smoke
def test_the_claim_page_shows_the_amount_and_the_organization_without_a_referrer(client, incentive):
    response = client.get(claim_url(incentive))
    page = response.content.decode()
    assert response.status_code == 200 and "$25.00" in page and "Acme Research" in page and "Thank you" in page
    assert response["Referrer-Policy"] == "no-referrer" and "no-store" in response["Cache-Control"]
    assert "Gift card" in page and "Bank transfer" in page and "Charity donation" in page


def test_claiming_records_the_method_and_details_and_settles(client, incentive, budget):
    response = client.post(claim_url(incentive), {"payout_method": "charity", "charity_name": "Doctors Without Borders"})
    assert response.status_code == 200 and "You have claimed $25.00" in response.content.decode()
    incentive.refresh_from_db()
    assert incentive.status == "claimed" and incentive.payout_details == {"charity_name": "Doctors Without Borders"}
    assert incentive.payout_status == "owed"
    assert budget_figures(budget) == (97_500, 0, 2_500)


def test_missing_payout_details_are_asked_for_and_nothing_changes(client, incentive, budget):
    response = client.post(claim_url(incentive), {"payout_method": "bank_transfer", "account_holder": "Ada"})
    assert "Please fill this in" in response.content.decode()
    incentive.refresh_from_db()
    assert incentive.status == "unclaimed" and budget_figures(budget) == (97_500, 2_500, 0)


def test_only_the_organizations_payout_methods_are_offered(client, incentive):
    incentive.organization.payout_methods = ["gift_card"]
    incentive.organization.save()
    page = client.get(claim_url(incentive)).content.decode()
    assert "Gift card" in page and "Bank transfer" not in page
    response = client.post(claim_url(incentive), {"payout_method": "charity", "charity_name": "X"})
    assert "Select a valid choice" in response.content.decode()


def test_an_already_claimed_link_says_where_the_money_is(client, incentive):
    client.post(claim_url(incentive), {"payout_method": "gift_card", "gift_card_email": "me@example.test"})
    page = client.get(claim_url(incentive)).content.decode()
    assert "You have claimed $25.00" in page and "gift card to m•••@example.test" in page and "me@example.test" not in page


def test_a_cancelled_link_is_gone(client, incentive, researcher):
    from incentives.services import incentive_cancel

    incentive_cancel(incentive=incentive, actor=researcher)
    response = client.get(claim_url(incentive))
    assert response.status_code == 410 and "cancelled" in response.content.decode()


def test_an_expired_link_is_gone(client, incentive, researcher):
    from incentives.services.studies import study_close

    incentive.organization.claims_allowed_after_study_closes = False
    incentive.organization.save()
    study_close(study=incentive.study, actor=researcher)
    response = client.post(claim_url(incentive), {"payout_method": "gift_card", "gift_card_email": "me@example.test"})
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_an_unknown_link_is_not_found_with_a_clear_page(client):
    response = client.get(reverse("incentives:claim", args=["not-a-real-token-" + "x" * 30]))
    assert response.status_code == 404 and "This link is not valid" in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"


@mock.patch("core.ratelimit.time.time", return_value=1_800_000_000.0)  # inside one window
def test_token_look_ups_are_rate_limited_per_client_address(_clock, client, incentive):
    for _ in range(CLAIM_LOOKUPS_PER_WINDOW):
        client.get(reverse("incentives:claim", args=["guess" * 9]))
    response = client.get(claim_url(incentive))
    assert response.status_code == 429 and "Too many requests" in response.content.decode()
    assert client.get(claim_url(incentive), REMOTE_ADDR="10.0.0.2").status_code == 200


def test_the_claim_form_needs_no_csrf_cookie_because_the_token_is_the_authority(incentive):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(claim_url(incentive), {"payout_method": "gift_card", "gift_card_email": "me@example.test"})
    assert response.status_code == 200 and "You have claimed" in response.content.decode()


def test_the_claim_page_makes_one_query_sets_no_cookie_and_keeps_its_headers(client, incentive, django_assert_num_queries):
    """A public page: the incentive by its token is its one query (no session, user or
    organization look-ups for a visitor without a session cookie), nothing is stored for the
    visitor, and the security headers stay."""
    client.get(claim_url(incentive))  # the rate limit's cache warmed
    with django_assert_num_queries(1):
        response = client.get(claim_url(incentive))
    assert response.status_code == 200 and not response.cookies
    assert response["Referrer-Policy"] == "no-referrer" and "no-cache" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY" and "default-src" in response["Content-Security-Policy"]
