"""An offer's full or partial grant above the threshold waits; approving makes it then."""

import pytest

from approvals.models import Approval
from approvals.services import approval_approve, approval_reject
from core.errors import DomainError, NotAllowed
from core.money import Money
from offers import services
from offers.models import Offer
from offers.transitions import Party, Status

pytestmark = pytest.mark.django_db


def grant_in_part(offer, actor, minor):
    return services.offer_transition(
        offer=offer, to_status=Status.PARTIAL_GRANTED, actor_kind=Party.PROVIDER, actor=actor,
        terms=Money(minor, "USD"), note="Half now",
    )


def test_a_partial_grant_above_the_threshold_waits_and_the_offer_stays(thresholds, offer_in, admin_user):
    offer = offer_in(Status.INFO_PROVIDED, value=Money(10_000, "USD"))  # $100.00: a part of it is a partial grant
    waiting = grant_in_part(offer, admin_user, 6_000)  # $60.00 to one person: above $50.00
    assert waiting.awaiting_approval.kind == Approval.Kind.OFFER_GRANT
    assert Offer.objects.get(pk=offer.pk).status == Status.INFO_PROVIDED
    with pytest.raises(DomainError, match="awaiting approval already"):
        grant_in_part(Offer.objects.get(pk=offer.pk), admin_user, 7_000)


def test_a_grant_below_the_threshold_is_made_at_once(thresholds, offer_in, admin_user):
    offer = grant_in_part(offer_in(Status.INFO_PROVIDED, value=Money(10_000, "USD")), admin_user, 4_000)
    assert Offer.objects.get(pk=offer.pk).status == Status.PARTIAL_GRANTED and not Approval.objects.exists()


def test_an_approved_grant_is_made_in_the_requesters_name(thresholds, offer_in, admin_user, owner):
    offer = offer_in(Status.INFO_PROVIDED, value=Money(10_000, "USD"))  # $100.00: a part of it is a partial grant
    grant_in_part(offer, admin_user, 6_000)
    with pytest.raises(NotAllowed):
        approval_approve(approval=Approval.objects.get(), actor=admin_user)
    approval_approve(approval=Approval.objects.get(), actor=owner)
    offer = Offer.objects.get(pk=offer.pk)
    assert (offer.status, offer.amount_minor) == (Status.PARTIAL_GRANTED, 6_000)
    event = offer.events.order_by("-pk").first()
    assert event.actor == admin_user and f"Approved by {owner}" in event.note


def test_a_rejected_grant_leaves_the_offer_as_it_was(thresholds, offer_in, admin_user, owner):
    offer = offer_in(Status.INFO_PROVIDED, value=Money(10_000, "USD"))  # $100.00: a part of it is a partial grant
    grant_in_part(offer, admin_user, 6_000)
    approval_reject(approval=Approval.objects.get(), actor=owner, reason="Too generous")
    assert Offer.objects.get(pk=offer.pk).status == Status.INFO_PROVIDED
    assert grant_in_part(Offer.objects.get(pk=offer.pk), admin_user, 4_000).status == Status.PARTIAL_GRANTED


def test_a_full_grant_of_a_counter_waits_on_the_counter_amount(thresholds, offer_in, admin_user, owner):
    offer = offer_in(Status.COUNTER)  # the demo walk counters at the value + $10.00 = $35.00
    offer = services.offer_transition(offer=offer, to_status=Status.APPROVED, actor_kind=Party.PROVIDER, actor=admin_user)
    assert offer.status == Status.APPROVED  # $35.00: below both thresholds
    group = offer_in(Status.COUNTER, value=Money(4_500, "USD"))  # countered at $55.00
    waiting = services.offer_transition(offer=group, to_status=Status.APPROVED, actor_kind=Party.PROVIDER, actor=admin_user)
    assert waiting.awaiting_approval.per_participant == Money(5_500, "USD")
    approval_approve(approval=waiting.awaiting_approval, actor=owner)
    assert Offer.objects.get(pk=group.pk).status == Status.APPROVED
