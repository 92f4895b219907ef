import re
from pathlib import Path

import pytest

from core.money import Money
from offers import services
from offers.models import Offer, OfferEvent
from offers.transitions import FINAL, TRANSITIONS, Party, Status, TransitionNotAllowed, transitions_from

pytestmark = pytest.mark.django_db

ALLOWED = [(t, actor) for t in TRANSITIONS for actor in sorted(t.actors)]
FORBIDDEN_ACTORS = [(t, actor) for t in TRANSITIONS for actor in Party.values if actor not in t.actors]


def move(offer, to_status, actor_kind, owner):
    member = offer.members.first() if actor_kind == Party.RECIPIENT else None
    terms = {Status.COUNTER: Money(3000, "USD"), Status.PARTIAL_GRANTED: Money(1500, "USD")}.get(to_status)
    return services.offer_transition(
        offer=offer, to_status=to_status, actor_kind=actor_kind, member=member,
        actor=owner if actor_kind == Party.PROVIDER else None, terms=terms, note="because",
    )


@pytest.mark.parametrize("transition, actor", ALLOWED, ids=lambda v: getattr(v, "label", v))
def test_every_transition_in_the_table_succeeds_for_its_actor_and_is_recorded(offer_in, owner, transition, actor):
    offer = offer_in(transition.source)
    events_before = offer.events.count()
    move(offer, transition.target, actor, owner)
    offer.refresh_from_db()
    assert offer.status == transition.target
    event = offer.events.last()
    assert offer.events.count() == events_before + 1
    assert (event.from_status, event.to_status, event.actor_kind) == (transition.source, transition.target, actor)
    assert "because" in event.note and event.actor_label


@pytest.mark.parametrize("transition, actor", FORBIDDEN_ACTORS, ids=lambda v: getattr(v, "label", v))
def test_the_wrong_actor_is_refused_and_nothing_changes(offer_in, owner, transition, actor):
    offer = offer_in(transition.source)
    events_before = offer.events.count()
    with pytest.raises(TransitionNotAllowed, match="Only the"):
        move(offer, transition.target, actor, owner)
    offer.refresh_from_db()
    assert offer.status == transition.source and offer.events.count() == events_before


@pytest.mark.smoke
@pytest.mark.parametrize("source, target", [
    (Status.DRAFT, Status.CLAIMED), (Status.OFFERED, Status.COMPLETED), (Status.CANCELLED, Status.OFFERED),
    (Status.EXPIRED, Status.APPROVED), (Status.ACKNOWLEDGED, Status.DRAFT), (Status.REJECTED, Status.COUNTER),
])
def test_a_change_not_in_the_table_is_refused_with_a_message(offer_in, owner, source, target):
    offer = offer_in(source)
    with pytest.raises(TransitionNotAllowed, match=f"can't go from {Status(source).label} to {Status(target).label}"):
        move(offer, target, Party.PROVIDER, owner)
    offer.refresh_from_db()
    assert offer.status == source


def test_final_statuses_lead_nowhere():
    assert FINAL == {Status.REJECTED, Status.CANCELLED, Status.EXPIRED, Status.ACKNOWLEDGED}
    assert all(transitions_from(status, actor) == [] for status in FINAL for actor in Party.values)


def test_every_status_is_reachable_from_draft():
    """Following the transitions from Draft, one step at a time, reaches every status."""
    reached, frontier = {Status.DRAFT}, [Status.DRAFT]
    while frontier:
        source = frontier.pop()
        for transition in TRANSITIONS:
            if transition.source == source and transition.target not in reached:
                reached.add(transition.target)
                frontier.append(transition.target)
    assert reached == set(Status.values)


def test_of_two_racing_changes_one_wins(offer_in, owner):
    offer = offer_in(Status.OFFERED)
    stale = Offer.objects.get(pk=offer.pk)
    move(offer, Status.CANCELLED, Party.PROVIDER, owner)
    with pytest.raises(TransitionNotAllowed, match="it is now Cancelled"):
        move(stale, Status.APPROVED, Party.RECIPIENT, owner)
    assert Offer.objects.get(pk=offer.pk).status == Status.CANCELLED
    assert OfferEvent.objects.filter(offer=offer, to_status=Status.APPROVED).count() == 0


def test_accepting_a_counter_makes_its_terms_the_offer(offer_in, owner):
    offer = offer_in(Status.OFFERED)
    services.offer_transition(offer=offer, to_status=Status.COUNTER, actor_kind=Party.RECIPIENT, member=offer.members.get(), terms=Money(4000, "USD"))
    assert offer.proposed_display == "$40.00" and offer.value_display == "$25.00"
    services.offer_transition(offer=offer, to_status=Status.APPROVED, actor_kind=Party.PROVIDER, actor=owner)
    offer.refresh_from_db()
    assert offer.value_display == "$40.00" and offer.proposed_amount_minor is None


def test_a_counter_without_a_value_or_in_another_currency_is_refused(offer_in):
    offer = offer_in(Status.OFFERED)
    member = offer.members.get()
    with pytest.raises(TransitionNotAllowed, match="Say what value"):
        services.offer_transition(offer=offer, to_status=Status.COUNTER, actor_kind=Party.RECIPIENT, member=member)
    with pytest.raises(TransitionNotAllowed, match="in USD"):
        services.offer_transition(offer=offer, to_status=Status.COUNTER, actor_kind=Party.RECIPIENT, member=member, terms=Money(100, "EUR"))
    assert Offer.objects.get(pk=offer.pk).status == Status.OFFERED


def test_docs_draw_exactly_the_declared_table():
    text = Path(__file__).resolve().parents[2].joinpath("docs/offers.md").read_text()
    drawn = set(re.findall(r"^\s*(\w+) --> (\w+)", text, flags=re.M))
    assert drawn == {(t.source.value, t.target.value) for t in TRANSITIONS}
