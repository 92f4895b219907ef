"""Issue 15.5 and 12.10: partial grants stay below what they answer; distributions stay within
what was granted unless the provider confirms an overage; corrections are reversing records."""

import pytest

from core.errors import DomainError
from core.money import Money
from offers import services
from offers.transitions import Party, Status

pytestmark = pytest.mark.django_db


def grant(offer, owner, minor):
    return services.offer_transition(offer=offer, to_status=Status.PARTIAL_GRANTED, actor_kind=Party.PROVIDER,
                                     actor=owner, terms=Money(minor, "USD"))


def test_a_partial_grant_above_the_offer_is_refused(offer_in, owner):
    offer = offer_in(Status.INFO_PROVIDED)  # $25.00
    with pytest.raises(DomainError, match=r"below the offer of \$25.00"):
        grant(offer, owner, 3000)
    with pytest.raises(DomainError, match="below the offer"):
        grant(offer, owner, 2500)
    offer.refresh_from_db()
    assert offer.status == Status.INFO_PROVIDED and offer.amount_minor == 2500


def test_a_partial_grant_answering_a_counter_stays_below_the_counter(offer_in, owner):
    offer = offer_in(Status.OFFERED, value=Money(1000, "USD"))
    services.offer_transition(offer=offer, to_status=Status.COUNTER, actor_kind=Party.RECIPIENT,
                              member=offer.members.get(), terms=Money(1200, "USD"))
    with pytest.raises(DomainError, match=r"below the counter of \$12.00"):
        grant(offer, owner, 5000)
    assert grant(offer, owner, 1100).amount_minor == 1100


def test_a_partial_grant_of_nothing_is_refused(offer_in, owner):
    with pytest.raises(DomainError, match="above zero"):
        grant(offer_in(Status.INFO_PROVIDED), owner, 0)


def test_the_provider_page_grants_through_the_one_grant_service(client_for, owner, offer_in, monkeypatch):
    from django.urls import reverse
    offer = offer_in(Status.INFO_PROVIDED)
    calls = []
    real = services.offer_grant
    monkeypatch.setattr(services, "offer_grant", lambda **kw: calls.append(kw["to_status"]) or real(**kw))
    client_for(owner).post(reverse("offers:transition", args=[offer.pk]), {"to_status": "partial_granted", "value": "10.00"})
    assert calls == ["partial_granted"]
