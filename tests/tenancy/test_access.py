import re

import pytest
from django.urls import reverse

from budgets.models import Budget
from tenancy.middleware import SESSION_KEY
from tenancy.models import Membership

from ..factories import UserFactory, make_budget

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_budget_list_shows_only_the_current_organizations_budgets(client_for, owner, budget, other_organization):
    make_budget(other_organization, name="Secret Globex budget")
    page = client_for(owner).get(reverse("budgets:list")).content.decode()
    assert "Interviews" in page
    assert "Secret Globex budget" not in page


@pytest.mark.smoke
@pytest.mark.parametrize("url_name", ["budgets:detail", "budgets:fund", "budgets:withdraw"])
def test_another_organizations_budget_is_not_found(client_for, outsider, budget, url_name):
    client = client_for(outsider)
    url = reverse(url_name, args=[budget.pk])
    response = client.post(url, {"fund-amount": "10", "withdraw-amount": "10"}) if url_name != "budgets:detail" else client.get(url)
    assert response.status_code == 404
    budget.available_account.refresh_from_db()
    assert budget.available_minor == 100_000


def test_for_org_never_returns_rows_of_another_organization(budget, other_organization):
    make_budget(other_organization, name="Theirs")
    assert list(Budget.objects.for_org(budget.organization)) == [budget]
    assert list(Budget.objects.for_org(other_organization).values_list("name", flat=True)) == ["Theirs"]


def test_anonymous_visitors_are_sent_to_login(client, budget):
    response = client.get(reverse("budgets:detail", args=[budget.pk]))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_viewer_and_researcher_cannot_fund(client_for, viewer, researcher, budget):
    for user in (viewer, researcher):
        response = client_for(user).post(reverse("budgets:fund", args=[budget.pk]), {"fund-amount": "10"})
        assert response.status_code == 403
    budget.available_account.refresh_from_db()
    assert budget.available_minor == 100_000


def test_owner_funds_a_budget_from_its_page(client_for, owner, budget):
    response = client_for(owner).post(reverse("budgets:fund", args=[budget.pk]), {"fund-amount": "25.50"}, follow=True)
    assert "Added $25.50 to Interviews." in response.content.decode()
    budget.available_account.refresh_from_db()
    assert budget.available_minor == 102_550


@pytest.mark.parametrize("typed, shown", [("0", "greater than zero"), ("-5", "greater than zero"), ("abc", "is not an amount"), ("1.001", "at most 2 decimals")])
def test_bad_amounts_in_the_fund_form_get_a_message_and_change_nothing(client_for, owner, budget, typed, shown):
    response = client_for(owner).post(reverse("budgets:fund", args=[budget.pk]), {"fund-amount": typed}, follow=True)
    assert shown in response.content.decode()
    budget.available_account.refresh_from_db()
    assert budget.available_minor == 100_000


def test_withdrawing_more_than_available_says_how_much_there_is(client_for, owner, budget):
    response = client_for(owner).post(reverse("budgets:withdraw", args=[budget.pk]), {"withdraw-amount": "2000"}, follow=True)
    assert "Budget Interviews has $1,000.00 available; you asked to withdraw $2,000.00." in response.content.decode()


def test_a_member_of_two_organizations_switches_between_them(client_for, owner, budget, other_organization):
    Membership.objects.create(user=owner, organization=other_organization, role="viewer")
    make_budget(other_organization, name="Globex panel")
    client = client_for(owner)
    assert "Interviews" in client.get(reverse("budgets:list")).content.decode()
    client.post(reverse("tenancy:switch"), {"organization": other_organization.pk})
    assert client.session[SESSION_KEY] == other_organization.pk
    page = client.get(reverse("budgets:list")).content.decode()
    assert "Globex panel" in page and "Interviews" not in page


def test_switching_to_an_organization_you_are_not_in_is_not_found(client_for, owner, other_organization):
    response = client_for(owner).post(reverse("tenancy:switch"), {"organization": other_organization.pk})
    assert response.status_code == 404


@pytest.mark.parametrize("budgets", [3, 23])
def test_budget_list_does_a_constant_number_of_queries(client_for, owner, organization, budgets, django_assert_num_queries):
    client = client_for(owner)
    for n in range(budgets):
        make_budget(organization, name=f"Listed {n}", funds_minor=100)
    # session, user, membership, saved columns, the budgets with their figures and counts, beat's banner, the approvals badge
    with django_assert_num_queries(7):
        page = client.get(reverse("budgets:list")).content.decode()
    assert len(re.findall(r">Listed \d+</a>", page)) == budgets


def test_a_user_without_organization_is_told_so(client_for, organization):
    loner = UserFactory()
    loner.save()
    response = client_for(loner).get(reverse("budgets:list"))
    assert response.status_code == 403 and "not in an organization" in response.content.decode()


def test_switching_to_an_organization_that_is_no_number_is_not_found(client_for, owner):
    assert client_for(owner).post(reverse("tenancy:switch"), {"organization": "\x00"}).status_code == 404
