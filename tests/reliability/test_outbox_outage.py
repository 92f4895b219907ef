"""A ten-minute outage of the mail server, on a simulated clock: the outbox keeps one retry
chain per email, the sweep leaves emails waiting out their backoff alone, and when the server
is back every email is delivered once.

The broker and the worker are simulated (a queue of tasks ordered by when they are due), the
clock too; the tasks, the services, the database and the SMTP server (aiosmtpd, from the fault
harness) are the real ones. Celery's own retry builds each retry, so the countdowns are those
a worker would wait.
"""

import functools
import heapq
import itertools
import uuid
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from celery.exceptions import Retry
from django.db import transaction
from django.utils import timezone

from core import services, tasks
from core.models import OutboundEmail

from .helpers import report
from .servers import MailServer

pytestmark = pytest.mark.django_db(transaction=True)

EMAILS = 20
OUTAGE = timedelta(minutes=10)
SWEEP_EVERY = timedelta(seconds=60)  # the beat schedule's outbox-sweep
RUN_FOR = timedelta(minutes=45)
LOST_AT, LOST = timedelta(minutes=3), 3  # a worker dies holding three retries: the sweep must find them


class SimulatedBroker:
    """Tasks queued with .delay() or retried with a countdown wait here until the clock reaches
    them; `run_due` runs them as a worker would (a Retry hands the next try back to us)."""

    def __init__(self, clock):
        self.clock = clock
        self.waiting = []
        self.order = itertools.count()
        self.longest = 0
        self.runs = 0

    def take(self, monkeypatch, task):
        monkeypatch.setattr(task, "apply_async", functools.partial(self.apply_async, task))

    def apply_async(self, task, args=None, kwargs=None, countdown=None, retries=0, **options):
        due = self.clock.now + timedelta(seconds=countdown or 0)
        heapq.heappush(self.waiting, (due, next(self.order), task, tuple(args or ()), retries))
        self.longest = max(self.longest, len(self.waiting))

    def run_due(self):
        while self.waiting and self.waiting[0][0] <= self.clock.now:
            _, _, task, args, retries = heapq.heappop(self.waiting)
            self.runs += 1
            task.push_request(id=str(uuid.uuid4()), args=args, kwargs={}, retries=retries, called_directly=False, is_eager=False)
            try:
                task.run(*args)
            except Retry:
                pass
            finally:
                task.pop_request()


def test_a_ten_minute_smtp_outage_ends_with_each_email_delivered_once_and_no_task_pile_up(settings, monkeypatch, capsys):
    from tests.factories import OrganizationFactory

    clock = SimpleNamespace(now=timezone.now())
    monkeypatch.setattr("django.utils.timezone.now", lambda: clock.now)
    broker = SimulatedBroker(clock)
    broker.take(monkeypatch, tasks.outbound_email_deliver)
    broker.take(monkeypatch, tasks.outbound_emails_deliver)  # a send's batch: the first try of each
    organization = OrganizationFactory(name="Acme Research", slug="acme-outage")
    addresses = [f"person{n}@example.test" for n in range(EMAILS)]

    with MailServer() as mail_server:
        settings.MAILERS = mail_server.mailers()
        for address in addresses:  # the outage: every recipient refused "try later"
            mail_server.refuse(address, "421 4.3.2 Service not available, closing transmission channel")
        started = clock.now
        with transaction.atomic():  # as a send writes them: one INSERT, one batch task
            services.outbound_emails_queue([
                OutboundEmail(organization=organization, purpose="test", reference="test:1", to_email=address, subject="Thanks", text_body="Hello")
                for address in addresses
            ])
        queue_lengths, swept, next_sweep, lost = [], 0, started + SWEEP_EVERY, []
        while clock.now - started < RUN_FOR:
            if clock.now - started == LOST_AT:
                lost = [heapq.heappop(broker.waiting) for _ in range(LOST)]
            if clock.now - started >= OUTAGE:
                for address in addresses:
                    mail_server.refuse(address, "250 OK", times=0)  # the server is back
            if clock.now >= next_sweep:
                swept += tasks.outbound_emails_sweep.run()
                next_sweep += SWEEP_EVERY
            broker.run_due()
            queue_lengths.append(len(broker.waiting))
            clock.now += timedelta(seconds=1)

    statuses = Counter(OutboundEmail.objects.values_list("status", flat=True))
    tries = Counter(len(mail_server.tries[address]) for address in addresses)
    delivered = Counter(mail_server.accepted)
    report(capsys, f"[smtp outage] {EMAILS} emails, the mail server refusing for {OUTAGE.seconds // 60} min "
                   f"(simulated clock, {RUN_FOR.seconds // 60} min): statuses {dict(statuses)}, "
                   f"{len(delivered)} delivered, {sum(delivered.values()) - len(delivered)} twice; "
                   f"tries per email {dict(sorted(tries.items()))}; {broker.runs} task runs; "
                   f"longest queue {broker.longest} (outbox {EMAILS}); {len(lost)} tasks lost at {LOST_AT.seconds // 60} min, "
                   f"{swept} emails taken by {RUN_FOR // SWEEP_EVERY} sweeps")
    assert statuses == {"sent": EMAILS}
    assert sorted(delivered) == sorted(OutboundEmail.objects.values_list("pk", flat=True))
    assert set(delivered.values()) == {1}
    assert broker.longest <= EMAILS and queue_lengths[-1] == 0
    assert swept == LOST  # the lost ones, once each: the sweep never takes an email waiting out its backoff
    assert max(tries) <= services.MAX_ATTEMPTS
