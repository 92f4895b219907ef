"""`seed_demo --scale N`: N more incentives for Acme, for benchmarks (bench/, docs/benchmarks.md).

The shape of a large organization: 10 budgets, 50 studies of very different sizes (a few
large, many small), each participant paid in up to 5 studies (1,000,000 incentives: 200,000
participants), six in ten unclaimed, three claimed (owed, by gift card), one cancelled, amounts
of 10 to 100 dollars, sent over the last two years. Every incentive's participant is in its
study (a StudyParticipant row: sent, or back in the Done group when cancelled).

Written by COPY (psycopg's `cursor.copy()`, rows as tuples, no per-field conversion), the
tokens from one derived key (core.tokens.derive_tokens), one seal per participant; row
triggers (the audit log's) are off for the copies when the role may switch them off
(`session_replication_role`, a superuser's): seeded rows are not audit events. The ledger moves
the same money through the budget services, four transactions per budget (fund, reserve,
settle the claimed, release the cancelled), so `verify_ledger` passes and every balance
matches the incentives.
"""

import contextlib
import datetime
import itertools
import json
import os
import random
from collections import defaultdict

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from budgets.models import Budget
from budgets.services import budget_create, budget_fund, budget_release, budget_reserve, budget_settle
from core.money import Money
from core.tokens import derive_tokens, token_hash
from studies.models import Participant, Study, StudyParticipant
from studies.services import study_create

from .models import Incentive
from .payout_details import sealed_and_masked
from .tokens import PURPOSE

Status = Incentive.Status
BATCH = 20_000
# Out of every ten incentives: six unclaimed, three claimed, one cancelled.
STATUS_CYCLE = [Status.UNCLAIMED] * 6 + [Status.CLAIMED] * 3 + [Status.CANCELLED]
AMOUNTS_MINOR = [1000, 2500, 5000, 7500, 10000]
SPREAD = datetime.timedelta(days=730)  # sent dates over the last two years
BENCH_STUDY = "Benchmark study"
BENCH_BUDGET = "Benchmark budget"
STUDIES, BUDGETS, PER_PARTICIPANT = 50, 10, 5

INCENTIVE_COLUMNS = [
    "organization_id", "study_id", "participant_id", "budget_id", "amount_minor", "currency", "status", "token_nonce",
    "token_hash", "subject", "message", "sent_at", "claimed_at", "cancelled_at", "reminder_count", "payout_method",
    "payout_status", "payout_details_sealed", "payout_details_masked", "payout_return_reason", "w9_hold",
]
MEMBER_COLUMNS = ["organization_id", "study_id", "participant_id", "status", "added_at", "updated_at"]


def _insert_participants(organization, numbers: range) -> list[int]:
    """New participants numbered `numbers`, in one INSERT ... SELECT; their ids in order."""
    table = Participant._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, name, email, created_at) "
            "SELECT %s, 'Participant ' || lpad(n::text, 7, '0'), 'participant' || lpad(n::text, 7, '0') || '@bench.test', now() "
            "FROM generate_series(%s, %s) AS n RETURNING id",
            [organization.pk, numbers.start, numbers.stop - 1],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _copy(model, columns: list[str], rows) -> None:
    """COPY `rows` (tuples in the order of `columns`) into the model's table; every other column
    gets its field's default, the same for every row."""
    rest = [f for f in model._meta.concrete_fields if not f.primary_key and f.column not in columns]
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    names = ", ".join(connection.ops.quote_name(column) for column in [*columns, *(f.column for f in rest)])
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, *defaults))


def _triggers_off() -> bool:
    """Row triggers off for this transaction, if the role may (a superuser); whether they are."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        return True
    except DatabaseError:
        return False


def _triggers_on() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


# Adding at least this many rows, and at least as many as the table holds, drops its secondary
# indexes for the copy and builds them again after: one sort per index instead of a million
# inserts into each of the incentive's two dozen.
REBUILD_INDEXES_FROM = 50_000


@contextlib.contextmanager
def _indexes_rebuilt(model, adding: int):
    """The table's indexes that back no constraint, dropped for the block and built again after
    (when `adding` is large against the table); the table is locked until the commit."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT %s) AS rows", [adding + 1])
        if adding < REBUILD_INDEXES_FROM or cursor.fetchone()[0] > adding:
            yield
            return
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        yield
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)


def _nonces(count: int) -> list[str]:
    """`count` claim-link nonces (core.tokens.new_nonce's 128 random bits each), from one read."""
    pool = os.urandom(16 * count).hex()
    return [pool[i : i + 32] for i in range(0, 32 * count, 32)]


def _study_picks(rng: random.Random, weights: list[float], per: int) -> list[int]:
    """`per` distinct study indexes, the larger studies more likely."""
    picks = []
    while len(picks) < per:
        for index in rng.choices(range(len(weights)), cum_weights=weights, k=per * 2):
            if index not in picks:
                picks.append(index)
                if len(picks) == per:
                    break
    return picks


@transaction.atomic
def incentives_bulk_seed(*, count: int, study: Study | None = None, studies: list[Study] | None = None, actor=None, now=None) -> int:
    """Add `count` incentives over `studies` (or the one `study`), each participant new and paid
    in up to PER_PARTICIPANT of them, with the ledger movements that match. Returns `count`."""
    studies = studies or [study]
    now = now or timezone.now()
    organization = studies[0].organization
    budgets = Budget.objects.with_accounts().select_related("organization").in_bulk({s.budget_id for s in studies})
    per = min(PER_PARTICIPANT, len(studies))
    # Study i weighs 1 / (i + 1): the first few hold most incentives, as a team's big studies do.
    cum_weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(studies))))
    rng = random.Random(count)
    start = Participant.objects.for_org(organization).count()
    totals = defaultdict(lambda: dict.fromkeys(Status.values, 0))  # budget id -> status -> minor units
    subjects = {s.pk: f"Thank you for taking part in {s.name}" for s in studies}
    triggers_off = _triggers_off()
    statuses = itertools.cycle(STATUS_CYCLE)
    amounts = itertools.cycle(AMOUNTS_MINOR)
    made = 0
    with _indexes_rebuilt(Incentive, count), _indexes_rebuilt(StudyParticipant, count):
        for offset in range(0, -(-count // per), BATCH):
            numbers = range(start + offset, start + min(offset + BATCH, -(-count // per)))
            people = _insert_participants(organization, numbers)
            incentives, members = [], []
            nonces = iter(_nonces(min(len(people) * per, count - made)))
            for person, n in zip(people, numbers):
                sealed = masked = None
                for index in _study_picks(rng, cum_weights, min(per, count - made)):
                    target = studies[index]
                    status, amount = next(statuses), next(amounts)
                    sent_at = now - SPREAD * rng.random()
                    claimed = status == Status.CLAIMED
                    if claimed and sealed is None:  # one seal per participant: their own gift-card address
                        sealed, masked = sealed_and_masked({"gift_card_email": f"participant{n:07d}@bench.test"})
                        masked = json.dumps(masked)
                    nonce = next(nonces)
                    incentives.append([
                        organization.pk, target.pk, person, target.budget_id, amount, target.currency, status, nonce,
                        None, subjects[target.pk], "", sent_at, sent_at if claimed else None,
                        sent_at if status == Status.CANCELLED else None, 0, "gift_card" if claimed else "",
                        Incentive.PayoutStatus.OWED if claimed else "", sealed if claimed else "",
                        masked if claimed else "{}", "", False,
                    ])
                    members.append((
                        organization.pk, target.pk, person,
                        StudyParticipant.Status.INCENTIVE_NOT_SENT if status == Status.CANCELLED else StudyParticipant.Status.INCENTIVE_SENT,
                        sent_at, sent_at,
                    ))
                    totals[target.budget_id][status] += amount
                    made += 1
            for row, token in zip(incentives, derive_tokens(PURPOSE, [row[7] for row in incentives])):
                row[8] = token_hash(token)
            _copy(Incentive, INCENTIVE_COLUMNS, incentives)
            _copy(StudyParticipant, MEMBER_COLUMNS, members)
    if triggers_off:
        _triggers_on()
    with connection.cursor() as cursor:  # the planner's statistics for the new rows (a new table has none)
        cursor.execute(f"ANALYZE {Incentive._meta.db_table}, {StudyParticipant._meta.db_table}, {Participant._meta.db_table}")
    for budget_id in sorted(totals):
        _ledger(budget=budgets[budget_id], totals=totals[budget_id], actor=actor, memo=f"{made} benchmark incentives")
    return made


def _ledger(*, budget: Budget, totals: dict, actor, memo: str) -> None:
    """The money of the seeded incentives of one budget, as sends, claims and cancels move it."""
    money = lambda minor: Money(minor, budget.currency)  # noqa: E731
    total = sum(totals.values())
    budget_fund(budget=budget, amount=money(total), actor=actor, memo=memo)
    budget_reserve(budget=budget, amount=money(total), actor=actor, reference="bench", memo=memo)
    if totals[Status.CLAIMED]:
        budget_settle(budget=budget, amount=money(totals[Status.CLAIMED]), actor=actor, memo=f"{memo}: claimed")
    if totals[Status.CANCELLED]:
        budget_release(budget=budget, amount=money(totals[Status.CANCELLED]), actor=actor, memo=f"{memo}: cancelled")


def bench_studies(organization, actor) -> list[Study]:
    """The BUDGETS budgets and STUDIES studies that hold benchmark incentives, created the first
    time; the first study is BENCH_STUDY on BENCH_BUDGET."""
    budgets = {b.name: b for b in Budget.objects.for_org(organization).filter(name__startswith=BENCH_BUDGET)}
    budgets = [
        budgets.get(name) or budget_create(organization=organization, name=name, currency="USD")
        for name in [BENCH_BUDGET] + [f"{BENCH_BUDGET} {i}" for i in range(2, BUDGETS + 1)]
    ]
    found = {s.name: s for s in Study.objects.for_org(organization).filter(name__startswith=BENCH_STUDY).select_related("organization")}
    studies = []
    for i, name in enumerate([BENCH_STUDY] + [f"{BENCH_STUDY} {i}" for i in range(2, STUDIES + 1)]):
        studies.append(found.get(name) or study_create(
            organization=organization, name=name, budget=budgets[i % BUDGETS], amount=Money(AMOUNTS_MINOR[i % len(AMOUNTS_MINOR)], "USD"),
            actor=actor, description="Many incentives, for benchmarks (seed_demo --scale N).",
        ))
    return studies


def bench_study(organization, actor) -> Study:
    """The first benchmark study (bench/compare.py sends to it)."""
    return bench_studies(organization, actor)[0]


def bench_incentives(organization):
    return Incentive.objects.for_org(organization).filter(study__name__startswith=BENCH_STUDY)


def seed(demo, stdout):
    if not demo.scale:
        return
    owner = demo.users["owner@acme.test"]
    studies = bench_studies(demo.orgs["acme"], owner)
    missing = demo.scale - bench_incentives(demo.orgs["acme"]).count()
    if missing > 0:
        incentives_bulk_seed(studies=studies, count=missing, actor=owner)
    stdout.write(f"{len(studies)} benchmark studies: {max(missing, 0)} incentives added, {demo.scale} in all.")
