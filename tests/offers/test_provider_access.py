"""Provider pages need a provider profile: every /provider/ route, walked from the resolver."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from offers.access import NO_PROFILE
from offers.models import IncentiveProgram, LinkTemplate, Offer

pytestmark = pytest.mark.django_db

PROFILE_ROUTE = "provider/profile/"


def provider_routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from provider_routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.startswith("provider/") and route != PROFILE_ROUTE:
            yield route, entry.callback


def url_of(route: str) -> str:
    return "/" + re.sub(r"<int:\w+>", "1", route)


ROUTES = sorted(provider_routes())


def test_every_provider_route_is_wrapped_in_provider_required():
    assert len(ROUTES) >= 15
    assert [route for route, callback in ROUTES if not getattr(callback, "provider_required", False)] == []


@pytest.mark.parametrize("route", [route for route, _ in ROUTES])
def test_without_a_provider_profile_a_provider_page_sends_you_to_set_one_up(client_for, owner, route):
    response = client_for(owner).get(url_of(route))
    assert response.status_code == 302 and response["Location"] == reverse("offers:profile")


@pytest.mark.parametrize("route", [route for route, _ in ROUTES])
def test_without_a_provider_profile_a_provider_post_is_refused_and_changes_nothing(client_for, owner, route):
    data = {"name": "Sneaky", "incentive_types": ["gift_card"], "active": "on", "body": "hi", "to_status": "offered"}
    response = client_for(owner).post(url_of(route), data)
    assert response.status_code in (403, 405)
    if response.status_code == 403:
        assert NO_PROFILE in response.content.decode()
    assert not (IncentiveProgram.objects.exists() or Offer.objects.exists() or LinkTemplate.objects.exists())


def test_the_profile_page_says_why_you_were_sent_there(client_for, owner):
    page = client_for(owner).get(reverse("offers:list"), follow=True).content.decode()
    assert NO_PROFILE in page and 'name="display_name"' in page


def test_with_a_profile_the_provider_pages_open(client_for, owner, provider):
    assert client_for(owner).get(reverse("offers:list")).status_code == 200
    assert client_for(owner).get(reverse("offers:programs")).status_code == 200
