"""Who acted, set once at each way in: a signed-in person's request, a public page, an API key,
a Celery task (beat's jobs), a management command."""

import contextlib
import datetime
import time

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.context import acting, command
from audit.kinds import ActorKind
from audit.models import AuditEvent
from incentives import tokens
from rewards.models import Reward
from rewards.tasks import rewards_release_due
from studies.models import Participant
from tenancy.services import api_key_create

from ..incentives.helpers import send_to
from ..rewards.helpers import make_reward


def last_event(object_type):
    return AuditEvent.objects.filter(object_type=object_type).latest("id")


def test_a_signed_in_persons_request_is_theirs_from_their_address(client_for, researcher, study):
    client = client_for(researcher)
    response = client.post(reverse("studies:close", args=[study.pk]), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    event = last_event("studies.study")
    assert (event.action, event.actor_kind, event.actor, event.actor_user_id, event.ip_address) == (
        "closed", ActorKind.USER, researcher.email, researcher.pk, "203.0.113.9",
    )
    assert event.context_id is not None


def test_a_claim_on_the_public_page_is_the_public_pages_from_the_claimants_address(study, researcher):
    incentive = send_to(study, 1, actor=researcher)[0]
    url = reverse("incentives:claim", args=[tokens.claim_token(incentive.token_nonce)])
    Client().post(url, {"payout_method": "gift_card", "gift_card_email": "me@example.test"}, REMOTE_ADDR="198.51.100.4")
    event = last_event("incentives.incentive")
    assert (event.action, event.actor_kind, event.ip_address, event.actor_user_id) == (
        "claimed", ActorKind.PUBLIC, "198.51.100.4", None,
    )


def test_an_api_call_is_its_keys(organization, owner, account, advocates):
    key, raw = api_key_create(organization=organization, name="CRM", actor=owner)
    response = Client().post(
        f"/api/v1/advocates/{advocates[0].pk}/w9", headers={"Authorization": f"Bearer {raw}"}, REMOTE_ADDR="192.0.2.44"
    )
    assert response.status_code == 200
    event = last_event("rewards.advocate")
    assert (event.actor_kind, event.actor, event.actor_api_key_id, event.ip_address) == (
        ActorKind.API_KEY, f"API key {key}", key.pk, "192.0.2.44",
    )


def test_a_task_is_named_by_its_task(account, advocates):
    now = timezone.now()
    reward = make_reward(account, advocate=advocates[0], now=now - datetime.timedelta(minutes=2), available_at=now - datetime.timedelta(minutes=1))
    assert reward.status == Reward.Status.PENDING
    rewards_release_due.delay()  # eager in tests: Celery's prerun and postrun signals still run
    event = last_event("rewards.reward")
    assert (event.object_id, event.action, event.actor_kind, event.actor) == (
        reward.pk, "available", ActorKind.TASK, "rewards.tasks.rewards_release_due",
    )


def test_a_task_run_inside_a_request_gives_the_request_its_actor_back(organization, owner, account, advocates):
    with acting(ActorKind.USER, owner.email, user=owner.pk, ip="203.0.113.1"):
        rewards_release_due.delay()
        Participant.objects.create(organization=organization, name="Ada", email="ada@example.test")
    event = last_event("studies.participant")
    assert (event.actor_kind, event.actor, event.ip_address) == (ActorKind.USER, owner.email, "203.0.113.1")


def test_a_management_command_is_named_by_its_command_and_servers_are_not(organization):
    with command(["manage.py", "seed_demo"]):
        Participant.objects.create(organization=organization, name="Ada", email="ada@example.test")
    assert last_event("studies.participant").actor == "manage.py seed_demo"
    # a server's requests and tasks each act for themselves: it opens no block of its own
    assert isinstance(command(["manage.py", "runserver"]), contextlib.nullcontext)
    assert isinstance(command(["manage.py", "serve"]), contextlib.nullcontext)


def test_an_address_that_is_no_address_is_left_empty(organization):
    with acting(ActorKind.PUBLIC, "Public page", ip="unknown"):
        Participant.objects.create(organization=organization, name="Ada", email="ada@example.test")
    assert last_event("studies.participant").ip_address == ""


@pytest.mark.queue
def test_a_real_workers_task_is_named_by_its_task(celery_worker, organization, account, advocates):
    """The prerun/postrun signals run in the worker's own thread, around the task."""
    now = timezone.now()
    reward = make_reward(account, advocate=advocates[0], now=now - datetime.timedelta(minutes=2), available_at=now - datetime.timedelta(minutes=1))
    rewards_release_due.delay()
    deadline = time.monotonic() + 30
    while not AuditEvent.objects.filter(object_type="rewards.reward", object_id=reward.pk, action="available").exists():
        assert time.monotonic() < deadline, "the worker did not release the reward"
        time.sleep(0.2)
    event = AuditEvent.objects.get(object_type="rewards.reward", object_id=reward.pk, action="available")
    assert (event.actor_kind, event.actor) == (ActorKind.TASK, "rewards.tasks.rewards_release_due")
    assert event.context_id is not None
