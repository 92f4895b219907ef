"""Deliveries to a real HTTP receiver that verifies every signature with the standardwebhooks
library: retries with backoff (driven by the sweep with a moved clock), exactly once under
concurrency, giving up, disabling a failing endpoint, replays."""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.models import OutboundEmail
from webhooks import services
from webhooks.events import emit
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .conftest import register

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


def later(**delta):
    return timezone.now() + datetime.timedelta(**delta)


def emit_committed(organization, n=1, event_type="reward.created", capture=None):
    """Emit `n` events as a service would, running what is queued on commit (tasks are eager)."""
    with capture(execute=True):
        return [emit(organization, event_type, {"id": i}) for i in range(n)]


def test_the_receiver_gets_the_event_signed_per_standard_webhooks(organization, endpoint, receiver, django_capture_on_commit_callbacks):
    (event,) = emit_committed(organization, capture=django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert receiver.received == {event.event_id: 1} and receiver.bad_signatures == 0
    assert receiver.types[event.event_id] == "reward.created"
    assert (delivery.status, delivery.attempts, delivery.response_status) == (Status.DELIVERED, 1, 204)


def test_a_wrong_secret_fails_verification_at_the_receiver(organization, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.secret = "whsec_" + "A" * 43 + "="
    emit_committed(organization, capture=django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert receiver.bad_signatures == 1 and not receiver.received
    assert (delivery.status, delivery.response_status, delivery.response_excerpt) == (Status.PENDING, 400, "bad signature")


def test_a_failed_attempt_is_retried_by_the_sweep_once_its_backoff_has_passed(organization, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.status = 503
    (event,) = emit_committed(organization, capture=django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.error == "HTTP 503"
    assert later(seconds=45) < delivery.next_attempt_at <= later(minutes=1)

    assert services.webhook_deliveries_sweep() == 0  # not due yet
    receiver.status = 200
    assert services.webhook_deliveries_sweep(now=later(minutes=2)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 2)
    assert receiver.received == {event.event_id: 1}


def test_the_backoff_doubles_up_to_six_hours():
    assert services.retry_delay(1) <= datetime.timedelta(minutes=1)
    assert datetime.timedelta(minutes=12.8) <= services.retry_delay(5) <= datetime.timedelta(minutes=16)
    assert datetime.timedelta(hours=4.8) <= services.retry_delay(30) <= datetime.timedelta(hours=6)


def test_a_stale_task_of_an_attempt_already_made_is_skipped(organization, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    emit_committed(organization, capture=django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert services.webhook_delivery_send(delivery_id=delivery.pk, attempts=0) == "skipped"
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_a_delivered_delivery_is_not_sent_again(organization, endpoint, receiver, django_capture_on_commit_callbacks):
    emit_committed(organization, capture=django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert services.webhook_delivery_send(delivery_id=delivery.pk, attempts=1) == Status.DELIVERED
    assert sum(receiver.received.values()) == 1


@pytest.mark.django_db(transaction=True)
def test_two_tasks_sending_one_delivery_at_once_send_it_once(organization, owner, receiver, monkeypatch):
    endpoint, receiver.secret = register(organization, receiver.url, actor=owner)
    emit(organization, "reward.created", {"id": 1})  # autocommit: its own task ran already
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=Status.PENDING, attempts=0, delivered_at=None)
    receiver.received.clear()
    from webhooks import transport

    slow_post = transport.post

    def post(*args, **kwargs):
        time.sleep(0.5)  # the first sender holds the row while the second arrives
        return slow_post(*args, **kwargs)

    monkeypatch.setattr(transport, "post", post)
    results = []

    def send():
        results.append(services.webhook_delivery_send(delivery_id=delivery.pk, attempts=0))
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["delivered", "skipped"]
    assert sum(receiver.received.values()) == 1


def test_a_delivery_is_given_up_three_days_after_it_was_queued(organization, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    emit_committed(organization, capture=django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=later(days=-3))
    services.webhook_deliveries_sweep(now=later(hours=1))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (Status.FAILED, 2, None)
    assert delivery.error.startswith("Given up after 2 attempts over three days")


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_emailed(organization, owner, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    emit_committed(organization, n=2, capture=django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.is_enabled
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=later(hours=-25))
    first = WebhookDelivery.objects.order_by("pk").first()
    with django_capture_on_commit_callbacks():
        services.webhook_delivery_send(delivery_id=first.pk, attempts=1)

    endpoint.refresh_from_db()
    assert not endpoint.is_enabled and "a day" in endpoint.disabled_reason
    assert not WebhookDelivery.objects.pending().exists()
    email = OutboundEmail.objects.get(purpose="webhook_endpoint_disabled")
    assert email.to_email == owner.email and endpoint.url in email.text_body
    assert services.webhook_deliveries_sweep(now=later(days=1)) == 0


def test_a_success_ends_the_endpoints_run_of_failures(organization, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    emit_committed(organization, capture=django_capture_on_commit_callbacks)
    receiver.status = 204
    emit_committed(organization, capture=django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_replay_sends_the_same_event_id_again_and_twice_queues_it_once(organization, owner, endpoint, receiver, django_capture_on_commit_callbacks):
    (event,) = emit_committed(organization, capture=django_capture_on_commit_callbacks)
    delivered = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks() as queued:
        first = services.webhook_delivery_replay(delivery=delivered, actor=owner)
        again = services.webhook_delivery_replay(delivery=delivered, actor=owner)
    assert first.pk == again.pk and len(queued) == 1
    for callback in queued:
        callback()
    first.refresh_from_db()
    assert first.status == Status.DELIVERED and first.replay_of == delivered
    assert receiver.received == {event.event_id: 2}  # the receiver de-duplicates on webhook-id


def test_replay_since_sends_every_event_since_then_once(organization, owner, endpoint, receiver, django_capture_on_commit_callbacks):
    old = emit_committed(organization, n=2, capture=django_capture_on_commit_callbacks)
    for event in old:
        event.__class__.objects.filter(pk=event.pk).update(created_at=later(days=-2))
    recent = emit_committed(organization, n=3, capture=django_capture_on_commit_callbacks)
    receiver.received.clear()

    with django_capture_on_commit_callbacks(execute=True):
        count = services.webhook_endpoint_replay_since(endpoint=endpoint, since=later(days=-1), actor=owner)
    assert count == 3
    assert set(receiver.received) == {event.event_id for event in recent}
    assert set(receiver.received.values()) == {1}


def test_replaying_to_a_disabled_endpoint_is_refused(organization, owner, endpoint, django_capture_on_commit_callbacks):
    emit_committed(organization, capture=django_capture_on_commit_callbacks)
    services.webhook_endpoint_disable(endpoint=endpoint, actor=owner)
    with pytest.raises(services.WebhookError, match="enable it"):
        services.webhook_delivery_replay(delivery=WebhookDelivery.objects.get(), actor=owner)


def test_disabling_marks_what_was_still_to_be_sent_failed(organization, owner, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    emit_committed(organization, capture=django_capture_on_commit_callbacks)
    services.webhook_endpoint_disable(endpoint=endpoint, actor=owner)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.FAILED and "disabled" in delivery.error


@pytest.mark.queue
@pytest.mark.slow
def test_a_thousand_events_reach_a_receiver_that_was_down_for_part_of_the_run_once_each(organization, owner, receiver, celery_worker):
    """Delivered by a real Celery worker on Redis. The receiver is stopped mid-stream, events keep
    coming, and after it returns the sweep (with the clock moved past the backoff) sends the rest."""
    endpoint, receiver.secret = register(organization, receiver.url, actor=owner)
    total = 1000

    def emit_range(start, stop):
        for i in range(start, stop):
            with transaction.atomic():
                emit(organization, "reward.created", {"id": i})

    def wait_for(condition, seconds=120):
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.1)

    emit_range(0, 400)
    wait_for(lambda: sum(receiver.received.values()) >= 150)
    receiver.stop()  # mid-stream: the worker is still sending the first 400
    emit_range(400, total)
    pending_first_try = WebhookDelivery.objects.filter(status=Status.PENDING, attempts=0)
    wait_for(lambda: not pending_first_try.exists())
    failed_once = WebhookDelivery.objects.filter(status=Status.PENDING).count()
    assert failed_once > 0

    receiver.start()  # back, on the same port
    moved = timezone.now()
    while WebhookDelivery.objects.filter(status=Status.PENDING).exists():
        moved += datetime.timedelta(hours=7)  # past any backoff
        services.webhook_deliveries_sweep(now=moved)
        wait_for(lambda: not WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=moved).exists())

    assert WebhookDelivery.objects.filter(status=Status.DELIVERED).count() == total
    assert len(receiver.received) == total and set(receiver.received.values()) == {1}
    assert receiver.bad_signatures == 0
    assert WebhookDelivery.objects.filter(attempts__gt=1).count() >= failed_once
