"""Offers fixtures: a provider organization with a program, and offers in any status."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from core.money import Money
from offers import services
from offers.demo import walk_to
from offers.models import IncentiveType, Offer

_emails = itertools.count(1)


@pytest.fixture
def provider(organization):
    return services.provider_profile_save(organization=organization, display_name="Acme Rewards", contact_email="rewards@acme.test")


@pytest.fixture
def outsider(outsider, other_organization):
    """The other organization's owner, a provider too: its pages open, ours are not found."""
    services.provider_profile_save(organization=other_organization, display_name="Globex Rewards", contact_email="rewards@globex.test")
    return outsider


@pytest.fixture
def program(provider, organization):
    return services.program_save(
        organization=organization, name="Advocates", incentive_types=[IncentiveType.GIFT_CARD, IncentiveType.DISCOUNT]
    )


def make_offer(organization, program, actor, *, send=True, delivery=Offer.Delivery.EMAIL, value=None, **fields):
    defaults = dict(
        incentive_type=IncentiveType.GIFT_CARD,
        recipient_name="Robin Recipient" if delivery == Offer.Delivery.EMAIL else "",
        recipient_email=f"robin{next(_emails)}@example.test" if delivery == Offer.Delivery.EMAIL else "",
        message="Thanks!",
        expires_on=timezone.localdate() + timedelta(days=10),
    )
    return services.offer_create(
        organization=organization, actor=actor, send=send, program=program, delivery=delivery,
        value=value or Money(2500, "USD"), **{**defaults, **fields},
    )


@pytest.fixture
def offer_factory(organization, program, owner):
    def make(**fields):
        return make_offer(organization, program, owner, **fields)

    return make


@pytest.fixture
def offer_in(offer_factory, owner):
    """An email offer walked through the table to the given status."""

    def make(status, **fields):
        return walk_to(offer_factory(send=False, **fields), status, owner)

    return make
