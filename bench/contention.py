"""One organization's writes side by side: do they queue behind one ledger row?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gratia_bench python bench/contention.py

50 threads each create PER (20) rewards on their own reward account of one organization, every
one funded from the organization's external-funding account as reward_create does, with real
commits. Prints the rewards per second (median of REPEAT runs). docs/benchmarks.md holds the
figure before and after the external account stopped caching a balance (issue 12 item 9): when
it did, every one of these writes queued for that one row. Uses its own organization.

Then the ledger under contention (issue 17 item 6): 50 threads each reserve and settle PER
times on ONE budget through budgets.services (each movement its own committed transaction),
against the same 50 threads moving the same balances by raw SQL (two conditional UPDATEs per
movement, no ledger records): pairs per second of each and the ratio.
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
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from budgets.models import Budget  # noqa: E402
from budgets.services import budget_create, budget_fund, budget_reserve, budget_settle  # noqa: E402
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

    def funded(name):
        made = budget_create(organization=organization, name=name, currency="USD")
        budget_fund(budget=made, amount=Money(10**12, "USD"), actor=None)
        return Budget.objects.with_accounts().select_related("organization").get(pk=made.pk)

    budget, bare = funded("Contention"), funded("Contention, raw SQL")
    cent = Money(1, "USD")

    def pair_ours(_):
        budget_reserve(budget=budget, amount=cent, actor=None)
        budget_settle(budget=budget, amount=cent, actor=None)

    move = "UPDATE budgets_ledgeraccount SET balance_minor = balance_minor + %s WHERE id = %s AND balance_minor + %s >= 0"

    def pair_raw(_):
        for source, target in ((bare.available_account_id, bare.reserved_account_id),
                               (bare.reserved_account_id, bare.payable_account_id)):  # as a claim settles
            with transaction.atomic(), connection.cursor() as cursor:
                for account, amount in sorted(((source, -1), (target, 1))):
                    cursor.execute(move, [amount, account, amount])

    ours, raw = [], []
    for _ in range(repeat):  # interleaved
        ours.append(run(range(THREADS), per, pair_ours))
        raw.append(run(range(THREADS), per, pair_raw))
    print(f"| {THREADS} threads reserve+settle on one budget, {per} pairs each | ours {statistics.median(ours):.0f} pairs/s | "
          f"raw SQL balance updates {statistics.median(raw):.0f} pairs/s | ratio {statistics.median(ours) / statistics.median(raw):.2f} |")
    with connection.cursor() as cursor:  # the raw comparator wrote no entries: its balances go back to them
        cursor.execute(
            "UPDATE budgets_ledgeraccount a SET balance_minor = COALESCE((SELECT SUM(e.amount_minor) FROM "
            "budgets_ledgerentry e WHERE e.account_id = a.id), 0) WHERE a.id = ANY(%s)",
            [[bare.available_account_id, bare.reserved_account_id, bare.payable_account_id]],
        )
    call_command("verify_ledger")


if __name__ == "__main__":
    main()
