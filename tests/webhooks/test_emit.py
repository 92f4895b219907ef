"""Services write their webhook events in their own transaction: one event (one evt_ id) and
one delivery per subscribed, enabled endpoint of the organization."""

import datetime
import json

import pytest
from django.db import transaction
from django.utils import timezone

from core.money import Money
from incentives.services import incentive_cancel, incentive_claim
from incentives.services.bulk import incentives_expire_many
from offers import services as offer_services
from offers.models import Offer
from rewards import services as reward_services
from webhooks.events import emit, emit_many
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.services import webhook_endpoint_disable

from ..incentives.helpers import send_to
from ..offers.conftest import make_offer
from ..rewards.helpers import SYSTEM, make_account, make_reward
from ..studies.factories import make_study
from .conftest import register

pytestmark = pytest.mark.django_db


def types(organization):
    return list(WebhookEvent.objects.for_org(organization).order_by("pk").values_list("type", flat=True))


def test_emit_writes_one_event_and_one_delivery_per_subscribed_enabled_endpoint(organization, other_organization, owner):
    wanted, _ = register(organization, "http://127.0.0.1:9/a", events=["reward.created"])
    register(organization, "http://127.0.0.1:9/b", events=["reward.redeemed"])
    disabled, _ = register(organization, "http://127.0.0.1:9/c", events=["reward.created"])
    webhook_endpoint_disable(endpoint=disabled, actor=owner)
    register(other_organization, "http://127.0.0.1:9/d", events=["reward.created"])

    event = emit(organization, "reward.created", {"id": 1})

    assert event.event_id.startswith("evt_")
    assert list(WebhookDelivery.objects.values_list("endpoint", "event")) == [(wanted.pk, event.pk)]
    body = json.loads(event.body)
    assert body["type"] == "reward.created" and body["data"] == {"id": 1} and body["timestamp"].endswith("Z")


def test_emit_writes_nothing_when_no_endpoint_subscribes(organization):
    register(organization, "http://127.0.0.1:9/a", events=["reward.created"])
    assert emit(organization, "reward.cancelled", {"id": 1}) is None
    assert not WebhookEvent.objects.exists()


def test_a_change_rolled_back_leaves_no_event_and_queues_nothing(organization, django_capture_on_commit_callbacks):
    register(organization, "http://127.0.0.1:9/a", events=["reward.created"])
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                emit(organization, "reward.created", {"id": 1})
                raise RuntimeError("the change fails")
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()
    assert callbacks == []


def test_emit_many_takes_three_queries_whatever_the_number_of_events(organization, django_assert_num_queries):
    register(organization, "http://127.0.0.1:9/a", events=["incentive.sent"])
    register(organization, "http://127.0.0.1:9/b", events=["incentive.sent"])
    with django_assert_num_queries(3):  # the endpoints, the events, the deliveries
        events = emit_many(organization, "incentive.sent", [{"id": n} for n in range(50)])
    assert len({event.event_id for event in events}) == 50
    assert WebhookDelivery.objects.count() == 100


def test_an_unknown_event_type_is_a_programming_error(organization):
    with pytest.raises(ValueError):
        emit(organization, "incentive.teleported", {})


def test_incentives_tell_sent_claimed_cancelled_and_expired(organization, budget, researcher):
    """(incentive.paid follows when a payout is sent: tests/payouts/test_webhooks.py.)"""
    register(organization, "http://127.0.0.1:9/a")
    study = make_study(budget=budget, owner=researcher)
    first, second, third = send_to(study, 3, actor=researcher)
    incentive_claim(incentive=first, payout_method="gift_card", payout_details={"gift_card_email": "me@example.test"})
    incentive_cancel(incentive=second, actor=researcher)
    incentives_expire_many(organization=organization, ids=[third.pk], reason="test")

    assert types(organization) == ["incentive.sent"] * 3 + [
        "incentive.claimed", "incentive.cancelled", "incentive.expired"
    ]
    claimed = json.loads(WebhookEvent.objects.get(type="incentive.claimed").body)["data"]
    assert claimed["id"] == first.pk and claimed["status"] == "claimed" and claimed["amount_minor"] == 2_500
    assert "token" not in WebhookEvent.objects.get(type="incentive.claimed").body


def test_a_refused_cancel_tells_nothing(organization, budget, researcher):
    register(organization, "http://127.0.0.1:9/a", events=["incentive.cancelled"])
    study = make_study(budget=budget, owner=researcher)
    (incentive,) = send_to(study, 1, actor=researcher)
    incentive_cancel(incentive=incentive, actor=researcher)
    incentive_cancel(incentive=incentive, actor=researcher)  # the second is a no-op
    assert types(organization) == ["incentive.cancelled"]


def test_rewards_tell_created_available_redeemed_and_cancelled(organization):
    register(organization, "http://127.0.0.1:9/a")
    account, _ = make_account(organization)
    reward = make_reward(account, amount_minor=10_000)
    reward_services.reward_redeem(reward=reward, amount=Money(4_000, "USD"), actor=SYSTEM)
    pending = make_reward(account, available_at=timezone.now() + datetime.timedelta(days=5))
    reward_services.reward_release(reward=pending, actor=SYSTEM)
    other = make_reward(account)
    reward_services.reward_cancel(reward=other, actor=SYSTEM)
    reward_services.reward_uncancel(reward=other, actor=SYSTEM)

    assert types(organization) == [
        "reward.created", "reward.redeemed", "reward.created", "reward.available",
        "reward.created", "reward.cancelled", "reward.available",
    ]
    redeemed = json.loads(WebhookEvent.objects.get(type="reward.redeemed").body)["data"]
    assert redeemed["moved_minor"] == 4_000 and redeemed["redeemed_minor"] == 4_000


def test_offers_tell_status_changes_and_messages(organization, owner):
    register(organization, "http://127.0.0.1:9/a")
    offer_services.provider_profile_save(organization=organization, display_name="Acme", contact_email="r@acme.test")
    program = offer_services.program_save(organization=organization, name="Advocates", incentive_types=["gift_card"])
    offer = make_offer(organization, program, owner)
    offer_services.message_post(offer=offer, body="Any questions?", user=owner)

    assert types(organization) == ["offer.status_changed", "offer.message"]
    changed = json.loads(WebhookEvent.objects.get(type="offer.status_changed").body)["data"]
    assert changed["from_status"] == Offer.Status.DRAFT and changed["status"] == Offer.Status.OFFERED


def test_a_bulk_cancel_tells_each_cancelled_incentive_once(organization, budget, researcher):
    from incentives.services.bulk import incentives_cancel_many

    register(organization, "http://127.0.0.1:9/a", events=["incentive.cancelled"])
    study = make_study(budget=budget, owner=researcher)
    sent = send_to(study, 3, actor=researcher)
    incentive_claim(incentive=sent[0], payout_method="gift_card", payout_details={"gift_card_email": "me@example.test"})
    ids = [incentive.pk for incentive in sent]
    incentives_cancel_many(organization=organization, ids=ids, actor=researcher)
    incentives_cancel_many(organization=organization, ids=ids, actor=researcher)  # again: nothing more
    bodies = [json.loads(body)["data"] for body in WebhookEvent.objects.for_org(organization).order_by("pk").values_list("body", flat=True)]
    assert sorted(data["id"] for data in bodies) == ids[1:] and {data["status"] for data in bodies} == {"cancelled"}
