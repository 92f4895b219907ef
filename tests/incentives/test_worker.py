"""The claim emails go through a real Celery worker on the real Redis."""

import time

import pytest
from django.core import mail

from core.models import OutboundEmail
from core.tasks import outbound_email_deliver

from .helpers import send_to

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]


def wait_until_sent(count, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if OutboundEmail.objects.filter(status="sent").count() >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"the worker did not send {count} emails in {timeout}s: {list(OutboundEmail.objects.values_list('status', 'last_error'))}")


def test_a_real_worker_sends_each_claim_email_once_even_when_the_task_runs_twice(concurrent_celery_worker, study, researcher):
    incentives = send_to(study, 2, actor=researcher)
    wait_until_sent(2)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        f"{i.participant.name} <{i.participant.email}>" for i in incentives
    )
    # A new email's task and four duplicates of it, taken at once by the worker's four threads:
    # the row lock decides, one sends and the others find it sent. Then a probe behind them.
    duplicated = send_to(study, 1, actor=researcher)[0]
    for _ in range(4):
        outbound_email_deliver.delay(duplicated.claim_email_id)
    send_to(study, 1, actor=researcher)
    wait_until_sent(4)
    time.sleep(0.5)  # any straggling duplicate has had its chance to send again
    assert len(mail.outbox) == 4, [message.to for message in mail.outbox]
    assert OutboundEmail.objects.get(pk=duplicated.claim_email_id).attempts == 1
    email = OutboundEmail.objects.get(pk=incentives[0].claim_email_id)
    assert email.attempts == 1 and email.sent_at
