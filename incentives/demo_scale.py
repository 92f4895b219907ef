"""`seed_demo --scale N`: N more incentives for Acme, for benchmarks (bench/recipients.py).

Rows are written in bulk (INSERT ... SELECT for participants, COPY for incentives: a million
in about a minute), and the ledger moves the same money in a few transactions
(fund, one reserve of the total, one settle for the claimed, which stay owed (payable), one
release for the cancelled),
so `verify_ledger` still passes and every balance matches the incentives.
"""

import datetime
import itertools

from django.db import connection
from django.utils import timezone

from budgets.models import Budget
from budgets.services import budget_create, budget_fund, budget_release, budget_reserve, budget_settle
from core.money import Money
from studies.models import Participant, Study
from studies.services import study_create

from . import tokens
from .models import Incentive
from .payout_details import sealed_and_masked

Status = Incentive.Status
BATCH = 5000
# Out of every ten incentives: six unclaimed, three claimed, one cancelled.
STATUS_CYCLE = [Status.UNCLAIMED] * 6 + [Status.CLAIMED] * 3 + [Status.CANCELLED]
AMOUNTS_MINOR = [1000, 2500, 5000, 7500, 10000]
SPREAD = datetime.timedelta(days=730)  # sent dates over the last two years
BENCH_STUDY = "Benchmark study"


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


def _copy_incentives(rows: list[dict]) -> None:
    """Write incentive rows with COPY (far faster than INSERT for a million rows); fields not
    given take their model default."""
    fields = [f for f in Incentive._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {Incentive._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([f.get_db_prep_save(row[f.attname] if f.attname in row else f.get_default(), connection) for f in fields])


def _owed_by_gift_card(person: int) -> dict:
    sealed, masked = sealed_and_masked({"gift_card_email": f"participant{person}@bench.test"})
    return {"payout_method": "gift_card", "payout_status": Incentive.PayoutStatus.OWED,
            "payout_details_sealed": sealed, "payout_details_masked": masked}


def incentives_bulk_seed(*, study: Study, count: int, actor=None, now=None) -> int:
    """Add `count` incentives to `study`, each to a new participant, with mixed statuses,
    amounts and sent dates, and the ledger movements that match them. Returns `count`."""
    now = now or timezone.now()
    budget = Budget.objects.with_accounts().select_related("organization").get(pk=study.budget_id)
    organization = study.organization
    start = Participant.objects.for_org(organization).count()
    totals = dict.fromkeys(Status.values, 0)
    subject = f"Thank you for taking part in {study.name}"
    for offset in range(0, count, BATCH):
        numbers = range(start + offset, start + min(offset + BATCH, count))
        rows = []
        people = _insert_participants(organization, numbers)
        for person, n, status, amount in zip(people, numbers, itertools.cycle(STATUS_CYCLE), itertools.cycle(AMOUNTS_MINOR)):
            sent_at = now - SPREAD * ((n * 7919) % count) / count
            nonce = tokens.new_nonce()
            rows.append({
                "organization_id": organization.pk, "study_id": study.pk, "participant_id": person, "budget_id": budget.pk,
                "amount_minor": amount, "currency": budget.currency, "status": status, "token_nonce": nonce,
                "token_hash": tokens.token_hash(tokens.claim_token(nonce)), "subject": subject, "sent_at": sent_at,
                "claimed_at": sent_at if status == Status.CLAIMED else None,
                # Claimed ones are owed (payable), by gift card, as a claim would leave them.
                **(_owed_by_gift_card(person) if status == Status.CLAIMED else {}),
                "cancelled_at": sent_at if status == Status.CANCELLED else None,
            })
            totals[status] += amount
        _copy_incentives(rows)
    total = sum(totals.values())
    if total:
        memo = f"{count} benchmark incentives"
        budget_fund(budget=budget, amount=Money(total, budget.currency), actor=actor, memo=memo)
        budget_reserve(budget=budget, amount=Money(total, budget.currency), actor=actor, reference=f"study:{study.pk}", memo=memo)
    if totals[Status.CLAIMED]:
        budget_settle(budget=budget, amount=Money(totals[Status.CLAIMED], budget.currency), actor=actor, memo=f"{memo}: claimed")
    if totals[Status.CANCELLED]:
        budget_release(budget=budget, amount=Money(totals[Status.CANCELLED], budget.currency), actor=actor, memo=f"{memo}: cancelled")
    return count


def bench_study(organization, actor) -> Study:
    """The study (and budget) that holds benchmark incentives, created the first time."""
    study = Study.objects.for_org(organization).filter(name=BENCH_STUDY).first()
    if study is None:
        budget = Budget.objects.for_org(organization).filter(name="Benchmark budget").first() or budget_create(
            organization=organization, name="Benchmark budget", currency="USD"
        )
        study = study_create(
            organization=organization, name=BENCH_STUDY, budget=budget, amount=Money(2500, "USD"), actor=actor,
            description="Many incentives, for benchmarks (seed_demo --scale N).",
        )
    return study


def seed(demo, stdout):
    if not demo.scale:
        return
    owner = demo.users["owner@acme.test"]
    study = bench_study(demo.orgs["acme"], owner)
    missing = demo.scale - Incentive.objects.for_org(study.organization).filter(study=study).count()
    if missing > 0:
        incentives_bulk_seed(study=study, count=missing, actor=owner)
    stdout.write(f"{BENCH_STUDY}: {max(missing, 0)} incentives added, {demo.scale} in all.")
