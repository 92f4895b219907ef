"""Email delivery rate: a real Celery worker delivering the outbox to a local SMTP sink, against
Django's SMTP backend handing the same emails to the same sink over one connection.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gratia_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/email_delivery.py --emails 2000 --repeat 3

The sink is aiosmtpd's Sink handler on a loopback port, in a process of its own (accepts
everything, stores nothing). Ours: the claim
emails of `--emails` incentives are written to the outbox in one transaction
(core.services.outbound_emails_queue: one INSERT, one delivery task per 100 on commit), and
a worker started here (`celery -A config worker --pool solo`: one process, as the
comparator is one) sends them, each under its own row lock, one SMTP connection per batch;
timed from the commit until the last row is marked sent. The comparator builds the same
messages and gives them to `mailers.default` with one connection open for all of them (and,
for reference, a new connection each). Interleaved, median / p95 of `--repeat` runs.
Bounded and loopback-only: the sink listens on 127.0.0.1 and the run ends by itself.
"""

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = free_port()
os.environ.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(PORT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.mail import mailers  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from core.models import OutboundEmail  # noqa: E402
from core.money import Money  # noqa: E402
from core.services import _message, outbound_emails_queue  # noqa: E402
from core.tokens import PLACEHOLDER  # noqa: E402
from incentives import emails  # noqa: E402
from tenancy.models import Organization  # noqa: E402


def start_sink() -> subprocess.Popen:
    """aiosmtpd's Sink handler (accepts everything, keeps nothing) in a process of its own, so it
    takes no time from either side's process; returns once it answers."""
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{PORT}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", PORT), timeout=1):
            return sink
        time.sleep(0.1)
    sink.kill()
    raise SystemExit("the SMTP sink did not start")


def outbox_rows(organization, count: int, run: int) -> list[OutboundEmail]:
    """`count` claim emails as a send writes them (rendered once, a name put in each)."""
    names = [f"Bench person {run}-{n}" for n in range(count)]
    rendered = emails.render_claim_emails(
        organization=organization, participant_names=names, amount=Money(2_500, "USD"), subject="Thank you",
        message="Hi {name}, thank you for taking part.", url=PLACEHOLDER,
    )
    return [
        OutboundEmail(organization=organization, purpose="bench", reference=f"bench:{run}:{n}", to_email=f"bench{run}-{n}@bench.test",
                      to_name=name, subject=email.subject, text_body=email.text_body, html_body=email.html_body)
        for n, (name, email) in enumerate(zip(names, rendered))
    ]


def ours(organization, count: int, run: int, timeout: float = 300.0) -> float:
    rows = outbox_rows(organization, count, run)
    started = time.perf_counter()
    with transaction.atomic():
        ids = [row.pk for row in outbound_emails_queue(rows)]
    pending = OutboundEmail.objects.filter(pk__in=ids).exclude(status=OutboundEmail.Status.SENT)
    while pending.exists():
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"the worker did not send {count} emails in {timeout:.0f} s")
        time.sleep(0.02)
    return time.perf_counter() - started


def theirs(organization, count: int, run: int, *, one_connection: bool = True) -> float:
    rows = OutboundEmail.objects.bulk_create(outbox_rows(organization, count, run))  # the same messages, built in the timed part
    started = time.perf_counter()
    if one_connection:
        mailer = mailers.default
        mailer.open()
        mailer.send_messages([_message(row) for row in rows])
        mailer.close()
    else:
        for row in rows:
            mailers.default.send_messages([_message(row)])
    return time.perf_counter() - started


def p95(values):
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    organization, _ = Organization.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    sink = start_sink()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-l", "warning",
         "-n", f"bench-email-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=os.environ.copy(),
    )
    try:
        ours(organization, 50, 0)  # warm up: the worker is up and connected
        theirs(organization, 50, 0)
        mine, one, each = [], [], []
        for run in range(1, args.repeat + 1):
            mine.append(ours(organization, args.emails, run))
            one.append(theirs(organization, args.emails, run))
            each.append(theirs(organization, args.emails, run, one_connection=False))
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        sink.terminate()
        sink.wait(timeout=30)
        OutboundEmail.objects.filter(purpose="bench").delete()
    rate = lambda seconds: args.emails / seconds  # noqa: E731
    print(f"\n{args.emails:,} emails to a local SMTP sink (aiosmtpd), median / p95 of {args.repeat}\n")
    print("| figure | emails/s, median | p95 of the time |\n|---|---|---|")
    print(f"| worker -> sink (outbox, one task and connection per 100) | {rate(statistics.median(mine)):,.0f} | {p95(mine):.2f} s |")
    print(f"| Django's SMTP backend, one connection | {rate(statistics.median(one)):,.0f} | {p95(one):.2f} s |")
    print(f"| Django's SMTP backend, a new connection each | {rate(statistics.median(each)):,.0f} | {p95(each):.2f} s |")
    print(f"\nratio (ours / one connection, emails per second): {statistics.median(one) / statistics.median(mine):.2f}   goal >= 0.8")


if __name__ == "__main__":
    main()
