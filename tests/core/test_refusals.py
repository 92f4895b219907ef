"""What a refusal looks like to the page that asked (core/refusals.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_budget
from tests.studies.factories import add_participants, make_study

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def study(organization, owner, researcher):
    return make_study(budget=make_budget(organization, actor=owner), owner=researcher)


def test_a_permission_refusal_of_an_htmx_request_is_a_toast_swapped_into_the_message_area(client_for, viewer, study):
    person = add_participants(study, 1)[0]
    url = reverse("studies:participant_status", args=[study.pk, person.pk])
    response = client_for(viewer).post(url, {"status": "scheduled"}, **HTMX)
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#messages" and response["HX-Reswap"] == "innerHTML"
    assert response["X-Refusal"] == "1"
    assert 'role="alert"' in response.text and "owners" in response.text
    assert "<html" not in response.text  # a fragment, never a whole page inside a panel


def test_another_organizations_object_asked_for_by_htmx_is_a_not_found_toast(client_for, outsider, study):
    response = client_for(outsider).get(reverse("studies:panel", args=[study.pk]), **HTMX)
    assert response.status_code == 404
    assert response["HX-Retarget"] == "#messages"
    assert "another organization" in response.text


def test_the_same_refusal_without_htmx_keeps_djangos_own_page(client_for, outsider, study):
    response = client_for(outsider).get(reverse("studies:panel", args=[study.pk]))
    assert response.status_code == 404
    assert "HX-Retarget" not in response
    assert "<html" in response.text


def test_a_domain_error_no_view_caught_is_a_page_that_says_it_and_links_back(rf, researcher, organization):
    from core.errors import InvalidInput
    from core.refusals import RefusalMiddleware

    request = rf.post("/studies/", HTTP_REFERER="http://testserver/studies/1/")
    request.user, request.htmx, request.organization = researcher, False, organization
    request.membership = researcher.memberships.get()
    request.memberships = [request.membership]
    response = RefusalMiddleware(lambda r: None).process_exception(request, InvalidInput("Choose an amount."))
    assert response.status_code == 422
    text = response.content.decode()
    assert "Choose an amount." in text and "Nothing was changed." in text and 'href="http://testserver/studies/1/"' in text


def test_a_form_posted_after_its_page_expired_says_reload_it(researcher, study):
    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher)
    person = add_participants(study, 1)[0]
    url = reverse("studies:participant_status", args=[study.pk, person.pk])
    response = client.post(url, {"status": "scheduled"}, **HTMX)
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#messages"
    assert "This page has expired. Reload it and try again." in response.text


def test_an_htmx_request_after_the_sign_in_expired_sends_the_whole_page_to_the_login_form(client, study):
    response = client.get(reverse("studies:panel", args=[study.pk]), **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("login"))
