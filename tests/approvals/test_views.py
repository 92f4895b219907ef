"""The Approvals page, its Approve and Reject, the badge, the settings, and "Awaiting approval"
wherever a waiting payment shows."""

import pytest
from django.urls import reverse

from approvals.models import Approval
from approvals.withdrawals import budget_withdrawal
from budgets.services import budget_fund
from core.models import OutboundEmail
from core.money import Money
from incentives.models import Incentive
from offers import services as offers
from offers.transitions import Party, Status

from ..factories import member
from ..incentives.helpers import send_to
from ..tenancy.test_settings import POLICIES, SETTINGS
from .conftest import set_thresholds

pytestmark = pytest.mark.django_db
LIST = reverse("approvals:list")


def approve(client, approval, **data):
    return client.post(reverse("approvals:approve", args=[approval.pk]), data, follow=True).content.decode()


def reject(client, approval, reason):
    return client.post(reverse("approvals:reject", args=[approval.pk]), {"reason": reason}, follow=True).content.decode()


@pytest.fixture
def waiting(thresholds, study, researcher):
    send_to(study, 5, actor=researcher)
    return Approval.objects.get()


def test_the_page_lists_what_waits(client_for, owner, waiting):
    page = client_for(owner).get(LIST).content.decode()
    assert waiting.summary in page and "Awaiting approval" in page and ">Approve</button>" in page


def test_an_admin_approves_from_the_page_and_the_emails_go_out(client_for, admin_user, waiting):
    page = approve(client_for(admin_user), waiting)
    assert f"Approved: {waiting.summary}" in page
    assert set(Incentive.objects.values_list("status", flat=True)) == {"unclaimed"}
    assert OutboundEmail.objects.filter(purpose="incentive_claim").count() == 5


def test_the_requester_is_refused_on_the_page(client_for, organization, study, thresholds):
    owner = member(organization, "owner")
    send_to(study, 5, actor=owner)
    page = approve(client_for(owner), Approval.objects.get())
    assert "another owner or admin must approve or reject it (two-person rule)" in page
    assert Approval.objects.get().status == "pending"


def test_the_requester_sees_no_approve_or_reject_buttons_on_their_own_request(client_for, organization, study, thresholds):
    requester, other = member(organization, "owner"), member(organization, "admin")
    send_to(study, 5, actor=requester)
    page = client_for(requester).get(LIST).content.decode()
    assert "Your request: another owner or admin decides." in page
    assert ">Approve</button>" not in page and "Reject…" not in page
    assert ">Approve</button>" in client_for(other).get(LIST).content.decode()


@pytest.mark.parametrize("role", ["researcher", "viewer"])
def test_researchers_and_viewers_are_refused_on_the_page(client_for, organization, waiting, role):
    page = approve(client_for(member(organization, role)), waiting)
    assert "Only an owner or admin of the organization can approve or reject payments." in page
    assert Approval.objects.get().status == "pending"


def test_a_rejection_without_a_reason_is_refused_and_with_one_releases(client_for, owner, waiting):
    client = client_for(owner)
    assert "Say why you reject it" in reject(client, waiting, " ")
    assert Approval.objects.get().status == "pending"
    page = reject(client, waiting, "Over the plan")
    assert f"Rejected: {waiting.summary}" in page
    assert set(Incentive.objects.values_list("status", flat=True)) == {"cancelled"}


def test_a_rejection_reason_with_a_nul_character_is_refused_with_a_message(client_for, owner, waiting):
    page = reject(client_for(owner), waiting, "Over\x00 the plan")
    assert "Reason: Null characters are not allowed." in page
    assert Approval.objects.get().status == "pending"


def test_another_organizations_request_is_not_found(client_for, outsider, waiting):
    assert client_for(outsider).post(reverse("approvals:approve", args=[waiting.pk])).status_code == 404
    assert waiting.summary not in client_for(outsider).get(LIST).content.decode()


def test_the_navigation_counts_what_waits_for_this_manager(client_for, owner, researcher, waiting):
    page = client_for(owner).get(reverse("studies:list")).content.decode()
    assert 'aria-label="1 waiting for you"' in page
    assert 'id="nav-approvals"' not in client_for(researcher).get(reverse("studies:list")).content.decode()


def test_the_requesters_own_request_is_not_counted_in_their_badge(client_for, organization, study, thresholds):
    owner = member(organization, "owner")
    send_to(study, 5, actor=owner)
    assert "waiting for you" not in client_for(owner).get(reverse("studies:list")).content.decode()


@pytest.mark.parametrize("count", [2, 30])
def test_the_page_does_a_constant_number_of_queries(client_for, owner, thresholds, budget, admin_user, count, django_assert_num_queries):
    budget_fund(budget=budget, amount=Money(10_100 * count, "USD"), actor=owner)
    for _ in range(count):
        budget_withdrawal(budget=budget, amount=Money(10_100, "USD"), actor=admin_user)
    client = client_for(owner)
    # session, user, membership, saved columns, the rows (with requester and budget), the badge,
    # the owners' beat check
    with django_assert_num_queries(7):
        page = client.get(LIST).content.decode()
    assert page.count(">Approve</button>") == count


def test_the_study_panel_the_recipients_table_and_its_filter_say_awaiting_approval(client_for, researcher, study, waiting):
    client = client_for(researcher)
    panel = client.get(reverse("studies:panel", args=[study.pk]), {"group": "sent"}, HTTP_HX_REQUEST="true").content.decode()
    assert panel.count("Awaiting approval") >= 5
    recipients = client.get(reverse("recipients:list"), {"status": "awaiting_approval"}).content.decode()
    assert recipients.count("</span> Awaiting approval</span>") == 5
    assert '<option value="awaiting_approval"' in recipients


def test_the_budget_page_shows_a_withdrawal_awaiting_approval(client_for, owner, admin_user, thresholds, budget):
    page = client_for(admin_user).post(
        reverse("budgets:withdraw", args=[budget.pk]), {"withdraw-amount": "200.00", "withdraw-memo": ""}, follow=True
    ).content.decode()
    assert "awaiting approval by another owner or admin" in page
    assert 'id="budget-awaiting-approval"' in page and "Withdraw $200.00 from budget Interviews" in page


def test_the_offer_page_shows_a_grant_awaiting_approval(client_for, admin_user, thresholds, offer_in):
    offer = offer_in(Status.INFO_PROVIDED, value=Money(10_000, "USD"))
    offers.offer_transition(offer=offer, to_status=Status.PARTIAL_GRANTED, actor_kind=Party.PROVIDER, actor=admin_user, terms=Money(6_000, "USD"))
    page = client_for(admin_user).get(reverse("offers:detail", args=[offer.pk])).content.decode()
    assert 'id="offer-awaiting-approval"' in page and "Partial Granted offer" in page


def test_the_settings_set_and_clear_the_thresholds(client_for, owner, organization):
    client = client_for(owner)
    client.post(SETTINGS, {**POLICIES, "approval_currency": "eur", "approval_total_above_minor": "1000.50", "approval_participant_above_minor": "250"})
    organization.refresh_from_db()
    assert (organization.approval_currency, organization.approval_total_above_minor, organization.approval_participant_above_minor) == ("EUR", 100_050, 25_000)
    assert 'value="1000.50"' in client.get(SETTINGS).content.decode()
    client.post(SETTINGS, {**POLICIES, "approval_total_above_minor": "", "approval_participant_above_minor": ""})
    organization.refresh_from_db()
    assert not organization.approvals_enabled and organization.approval_currency == "EUR"


@pytest.mark.parametrize("field, value, message", [
    ("approval_total_above_minor", "12.345", "USD amounts have at most 2 decimals."),
    ("approval_participant_above_minor", "-1", "greater than or equal to 0"),
    ("approval_currency", "ZZZ", "is not an ISO 4217 currency in use"),
    ("approval_currency", "XTS", "is not an ISO 4217 currency in use"),
])
def test_bad_thresholds_are_explained_and_change_nothing(client_for, owner, organization, field, value, message):
    response = client_for(owner).post(SETTINGS, {**POLICIES, field: value})
    assert response.status_code == 200 and message in response.content.decode()
    organization.refresh_from_db()
    assert not organization.approvals_enabled


def test_set_thresholds_in_tests_matches_the_settings_page(organization):
    set_thresholds(organization, total_minor=10_000)
    assert organization.approval_total_above_minor == 10_000


def test_a_bulk_cancel_skips_incentives_awaiting_approval_and_says_why(client_for, researcher, waiting, study):
    from ..incentives.test_bulk import CANCEL, LIST, said

    ids = list(Incentive.objects.filter(approval=waiting).values_list("pk", flat=True))
    response = client_for(researcher).post(CANCEL, {"selection": ids, "next": LIST, "confirmed": "1"})
    assert said(response) == ["Cancelled 0 incentives. Skipped 5: 5 awaiting approval."]
    assert set(Incentive.objects.values_list("status", flat=True)) == {"awaiting_approval"}


@pytest.mark.parametrize("count, verb", [(1, "is"), (2, "are")])
def test_the_send_wizard_says_is_or_are_above_the_threshold_by_count(client_for, organization, study, count, verb):
    from ..studies.factories import add_participants
    set_thresholds(organization, each_minor=1_000)
    people = [p.pk for p in add_participants(study, count)]
    data = dict(participants=people, amount="40", subject="Thanks", message="Hi", step="send")
    page = client_for(member(organization, "owner")).post(reverse("incentives:send", args=[study.pk]), data, HTTP_HX_REQUEST="true").content.decode()
    plural = "s" if count > 1 else ""
    assert f"{count} incentive{plural} of $40.00" in page and f") {verb} above your organization's approval threshold: another owner or admin approves {'them' if plural else 'it'}" in page
