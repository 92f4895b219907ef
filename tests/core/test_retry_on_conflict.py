"""A deadlock or serialization failure is retried at the outermost boundary (a request, a task,
a job's chunk), never inside the open transaction PostgreSQL has already aborted.

Each failure is real PostgreSQL's: the statement raises SQLSTATE 40001 (serialization_failure)
or 40P01 (deadlock_detected) inside the transaction of the work, the first time only, so one
retry succeeds. These tests commit (transaction=True): a test's own transaction would be an open
transaction around everything, where nothing is retried."""

import json

import pytest
from django.db import OperationalError, connection, transaction
from django.test import Client
from django.urls import reverse

from core import services as core_services
from core import tasks as core_tasks
from core.db import retry_on_conflict
from jobs import services as job_services
from jobs.models import BackgroundJob
from jobs.results import BulkResult
from rewards import services as reward_services
from rewards.models import Redemption
from tenancy.services import api_key_create

from ..rewards.helpers import make_account, make_reward

pytestmark = pytest.mark.django_db(transaction=True)

FAILURES = {"serialization failure": "serialization_failure", "deadlock": "deadlock_detected"}


def fail_in_transaction(condition: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'forced by the test' USING ERRCODE = '{condition}'; END $$")


def failing_once(real, condition: str, calls: list):
    """`real`, except that its first call fails with `condition` inside an open transaction."""

    def wrapped(*args, **kwargs):
        calls.append(connection.in_atomic_block)
        if len(calls) == 1:
            with transaction.atomic():
                fail_in_transaction(condition)
        return real(*args, **kwargs)

    return wrapped


@pytest.mark.parametrize("condition", FAILURES.values(), ids=FAILURES.keys())
def test_an_api_redemption_inside_its_idempotency_transaction_is_retried_by_the_request(organization, monkeypatch, condition):
    account, _ = make_account(organization)
    reward = make_reward(account, amount_minor=5_000)
    calls = []
    monkeypatch.setattr(reward_services, "reward_redeem", failing_once(reward_services.reward_redeem, condition, calls))
    _, raw = api_key_create(organization=organization, name="Tests", actor=None)
    response = Client().post(
        f"/api/v1/rewards/{reward.pk}/redeem", json.dumps({"amount_minor": 1_000}), content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "retry-1"},
    )
    assert response.status_code == 200, response.content
    assert calls == [True, True]  # both inside the idempotency transaction: retried from the request
    assert Redemption.objects.count() == 1 and response.json()["redemption"]["amount_minor"] == 1_000


@pytest.mark.parametrize("condition", FAILURES.values(), ids=FAILURES.keys())
def test_a_page_whose_service_fails_once_is_retried_by_the_request(organization, owner, monkeypatch, condition):
    account, advocates = make_account(organization)
    reward = make_reward(account, amount_minor=5_000)
    calls = []
    monkeypatch.setattr(reward_services, "reward_redeem", failing_once(reward_services.reward_redeem, condition, calls))
    client = Client()
    client.force_login(owner)
    url = reverse("rewards:reward_redeem", args=[advocates[0].pk, reward.pk])
    response = client.post(url, {"amount": "10.00"})
    assert response.status_code == 302 and len(calls) == 2
    assert list(Redemption.objects.values_list("amount_minor", flat=True)) == [1_000]


@pytest.mark.parametrize("condition", FAILURES.values(), ids=FAILURES.keys())
def test_a_task_is_retried_at_its_boundary(monkeypatch, condition):
    calls = []
    monkeypatch.setattr(core_services, "idempotency_keys_prune", failing_once(lambda: 0, condition, calls))
    result = core_tasks.idempotency_keys_prune.apply()
    assert result.successful() and result.get() == 0 and len(calls) == 2


@pytest.mark.parametrize("condition", FAILURES.values(), ids=FAILURES.keys())
def test_a_job_chunk_is_retried_on_its_own(organization, owner, monkeypatch, condition):
    job = BackgroundJob.objects.create(organization=organization, kind="incentives_cancel", created_by=owner, ids=[1, 2, 3], total=3)
    calls = []
    handler = failing_once(lambda *, organization, ids, actor: BulkResult(done=len(ids)), condition, calls)
    monkeypatch.setattr(job_services, "import_string", lambda path: handler)
    assert job_services.job_advance(job_id=job.pk, ids=job.ids, chunk_size=2) is True
    job.refresh_from_db()
    assert len(calls) == 2 and job.processed == 2 and job.done_count == 2


def test_inside_an_open_transaction_nothing_is_retried():
    calls = []

    @retry_on_conflict
    def work():
        calls.append(1)
        fail_in_transaction("serialization_failure")

    with pytest.raises(OperationalError), transaction.atomic():
        work()
    assert calls == [1]
