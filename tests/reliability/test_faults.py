"""Side effects under faults, with a real Redis (a private redis-server per test), real Celery
workers, real PostgreSQL and a local SMTP server that refuses on demand. Each test prints its
figures.

Emails go out exactly once after commit, through the outbox (core.services, core.tasks): the
broker may be down, workers may die, the mail server may refuse, and the database connection of
a bulk job may drop; nothing is sent twice that can be helped, nothing is lost, nothing is left
half-done.
"""

import random
import re
import time
from collections import Counter
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction
from django.db.models import F, Sum
from django.urls import reverse

from budgets.models import LedgerEntry, LedgerTransaction
from budgets.selectors import ledger_problems
from core import broker as broker_module
from core import services as email_services
from core.models import OutboundEmail
from core.services import DELIVERY_BATCH
from core.tasks import outbound_email_deliver, outbound_emails_sweep
from incentives.services import bulk
from incentives import services as incentive_services
from incentives.models import Incentive
from jobs import services as job_services
from jobs.models import BackgroundJob
from jobs.tasks import jobs_sweep
from studies.models import StudyParticipant

from ..conftest import celery_broker, worker_thread
from ..incentives.factories_recipients import make_incentives
from ..incentives.helpers import send_to
from ..studies.conftest import study  # noqa: F401  (the researcher's study, $1,000.00 budget)
from ..studies.factories import add_participants
from .helpers import report
from .servers import MailServer, RedisServer, WorkerProcess, database_url, wait_for

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker():
    server = RedisServer()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def mail_server(settings):
    with MailServer() as server:
        settings.MAILERS = server.mailers()
        yield server


@pytest.fixture
def worker(broker):
    """A worker thread of this process on the private broker; yields its queue's name."""
    with worker_thread(broker.url) as queue:
        yield queue


def statuses() -> Counter:
    return Counter(OutboundEmail.objects.values_list("status", flat=True))


def test_a_rolled_back_send_enqueues_nothing_and_a_committed_one_is_delivered_once(
    broker, mail_server, worker, study, researcher, capsys
):
    with pytest.raises(RuntimeError), transaction.atomic():
        send_to(study, 3, actor=researcher)
        raise RuntimeError("the request failed after the send")
    rolled_back = (OutboundEmail.objects.count(), Incentive.objects.count(), len(mail_server.accepted))

    (incentive,) = send_to(study, 1, actor=researcher)
    wait_for(lambda: mail_server.accepted, timeout=20, what="the committed email delivered")
    for _ in range(2):  # the same task delivered twice more (a broker redelivery, a retried publish)
        outbound_email_deliver.delay(incentive.claim_email_id)
    wait_for(lambda: broker.drained(worker), timeout=20, what="the three tasks run")

    email = OutboundEmail.objects.get()
    report(capsys, f"rolled back: {rolled_back[0]} outbox rows, {rolled_back[1]} incentives, {rolled_back[2]} emails; "
                   f"committed: 1 email, its task run 3 times, {len(mail_server.accepted)} delivered, attempts {email.attempts}")
    assert rolled_back == (0, 0, 0)
    assert mail_server.accepted == [incentive.claim_email_id]
    assert (email.status, email.attempts) == ("sent", 1)


def test_a_send_and_a_bulk_cancel_committed_while_redis_is_down_succeed_and_the_sweeps_finish_them_once(
    broker, mail_server, study, researcher, client_for, monkeypatch, capsys
):
    people = add_participants(study, 20, StudyParticipant.Status.INCENTIVE_NOT_SENT)
    to_cancel = [row.pk for row in make_incentives(study, bulk.BULK_JOB_THRESHOLD + 1)]  # a background job
    client = client_for(researcher)
    broker.stop()
    seconds = []
    with celery_broker(broker.url, "redis-down"):
        for url, data, answer in [
            (reverse("incentives:send", args=[study.pk]),
             {"step": "send", "participants": [p.pk for p in people], "amount": "25.00", "subject": "Thanks",
              "message": "Hi {name}"}, 200),  # the wizard's last step: "Sent 20 incentives"
            (reverse("recipients:bulk", args=["cancel"]), {"selection": to_cancel, "confirmed": "1"}, 302),  # the job's page
        ]:
            monkeypatch.setattr(broker_module, "_broker_paused_until", 0.0)  # each request finds the broker down itself
            started = time.monotonic()
            response = client.post(url, data, HTTP_HX_REQUEST="true")
            seconds.append(round(time.monotonic() - started, 2))
            assert response.status_code == answer
    job = BackgroundJob.objects.get()
    assert statuses() == {"pending": 20} and job.status == "queued"

    broker.start()
    # A minute passes: the sweeps take what is overdue by that (younger ones may still be on their way).
    OutboundEmail.objects.update(next_attempt_at=F("next_attempt_at") - timedelta(minutes=1))
    BackgroundJob.objects.update(created_at=F("created_at") - timedelta(minutes=1))
    with worker_thread(broker.url) as queue:
        for _ in range(2):  # two rounds before any delivery: the emails' second finds them taken, the job's task twice
            outbound_emails_sweep.delay()
            jobs_sweep.delay()
        wait_for(lambda: len(mail_server.accepted) >= 20 and broker.drained(queue), timeout=60, what="the sweeps' tasks run")
    job.refresh_from_db()

    report(capsys, f"redis down: the send and the bulk cancel answered in {seconds} s; after 2 sweeps: "
                   f"{len(set(mail_server.accepted))} of 20 emails delivered, {mail_server.duplicates} twice; "
                   f"job {job.status}, {job.done_count} of {len(to_cancel)} cancelled, ledger problems {len(ledger_problems())}")
    sent = Incentive.objects.filter(participant__in=people).values_list("claim_email_id", flat=True)
    assert sorted(mail_server.accepted) == sorted(sent)
    assert statuses() == {"sent": 20} and set(OutboundEmail.objects.values_list("attempts", flat=True)) == {1}
    assert (job.status, job.done_count) == ("done", len(to_cancel)) and ledger_problems() == []
    assert Incentive.objects.filter(pk__in=to_cancel, status="cancelled").count() == len(to_cancel)


BATCH = 1_000
# A send's emails go out in batch tasks (core.services.DELIVERY_BATCH each); a retry is a task of its own.
RECEIVED = re.compile(r"Task core\.tasks\.outbound_emails?_deliver\[([0-9a-f-]+)\] received")


@pytest.mark.slow
def test_a_worker_killed_again_and_again_during_a_thousand_emails_delivers_each_of_them(
    broker, mail_server, study, researcher, tmp_path, capsys
):
    worker = WorkerProcess(broker_url=broker.url, mail=mail_server, log_dir=tmp_path)
    worker.start()  # it starts while the batch is written
    # Soon after each of these counts of delivered emails (a random 0-0.3 s later, so the kill
    # lands anywhere in a task, not just after the mail server accepted one) a pool process is
    # killed: the worker forks another and hands the lost task back to the broker at once. At
    # `whole` the whole worker is: its tasks come back after the visibility timeout.
    child_kills, whole = [100, 200, 300, 400, 600, 700, 800, 900], 500
    try:
        started = time.monotonic()
        with celery_broker(broker.url, "celery"):
            send_to(study, BATCH, actor=researcher, amount_minor=100)
        written = time.monotonic() - started
        for threshold in sorted([*child_kills, whole]):
            wait_for(lambda: len(mail_server.accepted) >= threshold, timeout=60, what=f"{threshold} emails delivered")
            time.sleep(random.uniform(0, 0.3))
            if threshold == whole:
                worker.kill()
                worker.start()
            else:
                wait_for(worker.kill_child, timeout=10, what="a pool process to kill")
        wait_for(lambda: broker.drained("celery"), timeout=60, what="the broker handing out every task it holds")
        # A worker killed between taking a task from Redis and recording it as unacknowledged
        # loses it (kombu's Redis transport): the outbox sweep, a beat job, queues such emails
        # again once they are a minute overdue. The minute passes here at once.
        lost = OutboundEmail.objects.filter(status="pending").update(next_attempt_at=F("next_attempt_at") - timedelta(minutes=1))
        with celery_broker(broker.url, "celery"):
            outbound_emails_sweep.delay()
        wait_for(lambda: len(set(mail_server.accepted)) == BATCH and broker.drained("celery"), timeout=30,
                 what="every email delivered")
        seconds = time.monotonic() - started
    finally:
        worker.stop()

    received = Counter(RECEIVED.findall(worker.log()))
    redelivered = sum(received.values()) - len(received)
    report(capsys, f"{BATCH} emails (written in {written:.1f} s), worker SIGKILLed {len(child_kills) + 1} times "
                   f"({len(child_kills)} pool processes, 1 whole worker): {len(set(mail_server.accepted))} delivered in "
                   f"{seconds:.1f} s, {mail_server.duplicates} duplicates (with one Message-ID each), "
                   f"{redelivered} tasks redelivered (at most {max(received.values())} deliveries of one task), "
                   f"{lost} emails of lost tasks sent by the sweep, "
                   f"{worker.starts} worker starts")
    assert len(set(mail_server.accepted)) == BATCH and statuses() == {"sent": BATCH}
    in_flight_at_kills = len(child_kills) + worker.concurrency
    # Only an email in flight at a kill can go twice: accepted by the server, its "sent" not committed.
    assert mail_server.duplicates <= in_flight_at_kills
    assert all(len(ids) == 1 for ids in mail_server.message_ids.values())  # so mail programs show one
    assert lost <= worker.concurrency * DELIVERY_BATCH  # only the whole worker's kill can lose what it held: a batch each
    # A batch task in flight at a kill comes back (acks_late) and skips what it sent: one task
    # can come back once per kill, never more.
    assert max(received.values()) <= 1 + len(child_kills) + 1 and redelivered <= 3 * in_flight_at_kills


def test_smtp_refusals_are_retried_with_backoff_when_temporary_and_shown_as_failed_when_permanent(
    broker, mail_server, worker, study, researcher, owner, client_for, monkeypatch, capsys
):
    monkeypatch.setattr(email_services, "RETRY_BACKOFF_SECONDS", 0.2)
    monkeypatch.setattr(email_services, "MAX_ATTEMPTS", 4)
    people = add_participants(study, 4, StudyParticipant.Status.INCENTIVE_NOT_SENT)
    greylisted, unknown, busy, fine = (p.email for p in people)
    mail_server.refuse(greylisted, "451 4.7.1 Greylisted, try again later", times=2)
    mail_server.refuse(unknown, "550 5.1.1 No such user here")
    mail_server.refuse(busy, "421 4.3.2 System not accepting network messages")
    incentive_services.incentives_send(
        study=study, participant_ids=[p.pk for p in people], amount=study.incentive_amount,
        subject="Thank you", message="Hi {name}", actor=researcher,
    )
    wait_for(lambda: not OutboundEmail.objects.filter(status="pending").exists(), timeout=30,
             what="every email sent or failed")

    emails = {email.to_email: email for email in OutboundEmail.objects.all()}
    tries = {address: len(mail_server.tries[address]) for address in (greylisted, unknown, busy, fine)}
    waits = [round(b - a, 2) for a, b in zip(mail_server.tries[busy], mail_server.tries[busy][1:])]
    report(capsys, f"SMTP refusals: tries greylisted/unknown/busy/fine = {list(tries.values())}, "
                   f"waits between the busy tries {waits} s, statuses {dict(statuses())}")
    assert {address: email.status for address, email in emails.items()} == {
        greylisted: "sent", unknown: "failed", busy: "failed", fine: "sent"
    }
    assert tries == {greylisted: 3, unknown: 1, busy: 4, fine: 1}  # a permanent refusal is not retried
    # Backoff: each wait at least half the doubled one before (0.1, 0.2, 0.4 s at least).
    assert len(waits) == 3 and all(wait >= 0.1 * 2**n for n, wait in enumerate(waits))
    assert emails[unknown].last_error.startswith("550") and emails[busy].last_error.startswith("421")
    assert sorted(mail_server.accepted) == sorted([emails[greylisted].pk, emails[fine].pk])

    page = client_for(researcher).get(reverse("recipients:list")).content.decode()
    assert page.count("Email not delivered") == 2
    assert "550 5.1.1 No such user here" in page and "421 4.3.2 System not accepting" in page
    outbox_page = client_for(owner).get(reverse("core:outbox") + "?status=failed").content.decode()
    assert unknown in outbox_page and busy in outbox_page and fine not in outbox_page


def consistency(study, ids) -> dict:
    """How the bulk cancel's incentives stand: cancelled ones, the release transactions that
    returned their money, their participants back in the Done group, anything half-done (one
    of these without the others), and money released beyond what the cancelled ones held."""
    incentives = Incentive.objects.filter(pk__in=ids)
    cancelled = set(incentives.filter(status="cancelled").values_list("pk", flat=True))
    released = set(incentives.filter(release_transaction__isnull=False).values_list("pk", flat=True))
    releases = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.RELEASE, released_incentives__in=ids).distinct()
    released_minor = LedgerEntry.objects.filter(transaction__in=releases, amount_minor__gt=0).aggregate(total=Sum("amount_minor"))["total"] or 0
    cancelled_minor = incentives.filter(status="cancelled").aggregate(total=Sum("amount_minor"))["total"] or 0
    participant_of = dict(incentives.values_list("pk", "participant_id"))
    done_again = set(
        StudyParticipant.objects.filter(study=study, status=StudyParticipant.Status.INCENTIVE_NOT_SENT)
        .values_list("participant_id", flat=True)
    )
    back_in_done = {pk for pk, participant in participant_of.items() if participant in done_again}
    return {
        "cancelled": len(cancelled),
        "half_done": len((cancelled ^ released) | (cancelled ^ back_in_done)),
        "over_released_minor": released_minor - cancelled_minor,
        "ledger_problems": len(ledger_problems()),
    }


def test_a_database_connection_dropped_during_a_bulk_cancel_leaves_nothing_half_done_and_the_job_finishes(
    broker, worker, study, researcher, monkeypatch, capsys
):
    ids = [row.pk for row in make_incentives(study, bulk.BULK_JOB_THRESHOLD + 50)]
    chunks = -(-len(ids) // job_services.CHUNK_SIZE)
    released, after_drop = [], {}
    release, advance = bulk.budget_release, job_services.job_advance

    def release_then_drop(**kwargs):
        """The second chunk's release loses its connection: its incentives are cancelled in the
        open transaction, its ledger transaction is not written yet."""
        released.append(kwargs["amount"])
        if len(released) == 2:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            with psycopg.connect(database_url(), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        return release(**kwargs)

    def advance_and_look(**kwargs):
        """What the re-run finds before it goes on: the state the dropped connection left."""
        if len(released) >= 2 and not after_drop:
            after_drop.update(consistency(study, ids))
        return advance(**kwargs)

    monkeypatch.setattr(bulk, "budget_release", release_then_drop)
    monkeypatch.setattr(job_services, "job_advance", advance_and_look)
    job = bulk.incentives_bulk_run(
        organization=study.organization, action="cancel", selection=bulk.Selection(ids=frozenset(ids)), actor=researcher
    )
    finished = BackgroundJob.objects.filter(pk=job.pk, status__in=["done", "failed"])
    job = wait_for(finished.first, timeout=60, what="the job finished")
    final = consistency(study, ids)

    report(capsys, f"bulk cancel of {len(ids)}, connection dropped in chunk 2 of {chunks}: after the drop {after_drop}; "
                   f"after the re-run {final}, job {job.status} {job.done_count} done, {len(released)} releases tried")
    sound = {"half_done": 0, "over_released_minor": 0, "ledger_problems": 0}
    assert after_drop == {"cancelled": job_services.CHUNK_SIZE, **sound}
    assert (job.status, job.done_count, job.processed, job.failed_count) == ("done", len(ids), len(ids), 0)
    assert final == {"cancelled": len(ids), **sound}
    assert len(released) == chunks + 1  # one release per chunk (one budget), the dropped chunk's once more, no more
