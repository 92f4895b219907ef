"""One organization's writes side by side: do they queue behind one ledger row?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gratia_bench python bench/contention.py

50 threads each create PER (20) rewards on their own reward account of one organization, every
one funded from the organization's external-funding account as reward_create does, with real
commits. Prints the rewards per second (median of REPEAT runs). docs/benchmarks.md holds the
figure before and after the external account stopped caching a balance (issue 12 item 9): when
it did, every one of these writes queued for that one row. Uses its own organization.
"""

import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.money import Money  # noqa: E402
from rewards import services  # noqa: E402
from tenancy.models import Organization  # noqa: E402

THREADS = 50


def run(accounts, per: int, work) -> float:
    barrier = threading.Barrier(len(accounts))
    errors = []

    def worker(account):
        try:
            barrier.wait()
            for _ in range(per):
                work(account)
        except Exception as error:  # shown below: a bench that fails says so
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(account,)) for account in accounts]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} threads failed: {errors[0]}")
    return len(accounts) * per / elapsed


def main():
    per = int(os.environ.get("PER", "20"))
    repeat = int(os.environ.get("REPEAT", "3"))
    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Contention", slug=f"contention-{uuid.uuid4().hex[:8]}")
    accounts = [
        services.reward_account_create(organization=organization, name=f"Account {n}", external_id=f"C-{n}")
        for n in range(THREADS)
    ]
    system = services.Actor.system()

    def create(account):
        services.reward_create(account=account, amount=Money(1_000, "USD"), source_event="Bench",
                               event_at=timezone.now(), actor=system)

    create(accounts[0])  # the external account and each balance row exist before the race
    for account in accounts:
        create(account)
    rates = [run(accounts, per, create) for _ in range(repeat)]
    print(f"| {THREADS} threads creating rewards in one organization, {per} each | "
          f"{statistics.median(rates):.0f} rewards/s (median of {repeat}; {min(rates):.0f}-{max(rates):.0f}) |")
    call_command("verify_ledger")


if __name__ == "__main__":
    main()
