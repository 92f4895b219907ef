"""Our bulk paths side by side with what a team would write by hand, interleaved, one machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gratia_bench python bench/compare.py --rows 100000

Uses the "bench" organization of bench/recipients.py (seeds it to --rows if short). Each row
runs ours and its comparator alternately, `--repeat` times, and prints median and p95 of each
and their ratio (ours / comparator: 1.0 is as fast as the comparator):

- the Recipients page against the Django admin changelist of the incentive (the same filters:
  unclaimed, sent before one year ago, one study; sorted by sent; 50 rows), at page 1 and at
  --deep, with and without the filters. Our deep page is reached by its cursor (what clicking
  Next that many times leads to); on a checkout without core/keyset.py, by `?page=N`;
- bulk cancel of --cancel unclaimed incentives, chunk by chunk as the job does it, against
  one `UPDATE ... WHERE status = 'unclaimed' RETURNING` and one ledger release;
- the CSV export of every row, through the view, against `COPY (SELECT same columns) TO
  STDOUT WITH CSV` read to the end;
- a send to --send participants (incentives_send: reserve, incentives, outbox rows) against
  the same incentive and outbox rows written by two bulk_create calls.

Cancel and send run inside a transaction that is rolled back, so every repeat sees the same
data (and no email task reaches a broker); chunks are savepoints there, not commits.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from budgets.models import Budget  # noqa: E402
from budgets.services import budget_fund, budget_release  # noqa: E402
from core.models import OutboundEmail  # noqa: E402
from core.money import Money  # noqa: E402
from incentives import tokens  # noqa: E402
from incentives.models import Incentive  # noqa: E402
from incentives.services import incentives_send  # noqa: E402
from incentives.services.bulk import incentives_cancel_many  # noqa: E402
from jobs.services import CHUNK_SIZE  # noqa: E402
from studies.models import Participant, StudyParticipant  # noqa: E402
from tenancy.models import Organization  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recipients import deep_params, seeded  # noqa: E402


class Rollback(Exception):
    pass


def rolled_back(work):
    """Run `work()` in a transaction that is undone afterwards."""
    try:
        with transaction.atomic():
            work()
            raise Rollback
    except Rollback:
        pass


def seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def p95(values):
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def compare(label, ours, theirs, repeat: int, unit="s"):
    ours(), theirs()  # warm up
    mine, other = [], []
    for _ in range(repeat):
        mine.append(seconds(ours))
        other.append(seconds(theirs))
    ratio = statistics.median(mine) / statistics.median(other)
    print(f"| {label} | {statistics.median(mine):.2f} / {p95(mine):.2f} {unit} | "
          f"{statistics.median(other):.2f} / {p95(other):.2f} {unit} | {ratio:.2f} |")


def compare_requests(label, ours, theirs, repeat: int):
    """Wall time and the time in SQL (the queries' own, as Django times them) of two requests,
    interleaved: two rows of the table."""
    def measured(request):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            request()
            wall = time.perf_counter() - started
        return wall * 1000, sum(float(q["time"]) for q in queries.captured_queries) * 1000, len(queries)

    measured(ours), measured(theirs)  # warm up
    runs = [(measured(ours), measured(theirs)) for _ in range(repeat)]
    for n, what in enumerate(["", " (its SQL only)"]):
        mine, other = [r[0][n] for r in runs], [r[1][n] for r in runs]
        ratio = statistics.median(mine) / statistics.median(other)
        queries = f", {runs[0][0][2]} / {runs[0][1][2]} queries" if n else ""
        print(f"| {label}{what} | {statistics.median(mine):.0f} / {p95(mine):.0f} ms | "
              f"{statistics.median(other):.0f} / {p95(other):.0f} ms{queries} | {ratio:.2f} |")


def compare_pages(client, organization, study, deep: int, repeat: int):
    from incentives.filters import RELATIVE_PERIODS

    ours_url, admin_url = reverse("recipients:list"), reverse("admin:incentives_incentive_changelist")
    year_ago = timezone.now() - RELATIVE_PERIODS["year"]
    mine = Incentive.objects.for_org(organization).order_by("-sent_at", "-pk")
    cases = {
        "no filter": ({}, {}, mine),
        "unclaimed, sent before a year ago, one study": (
            {"status": "unclaimed", "sent": "over_a_year", "study": str(study.pk)},
            {"status__exact": "unclaimed", "sent_at__lt": year_ago.isoformat(), "study__id__exact": str(study.pk)},
            mine.filter(status="unclaimed", sent_at__lt=year_ago, study=study),
        ),
    }
    for label, (ours, theirs, rows) in cases.items():
        theirs = {"organization__id__exact": str(organization.pk), "o": "-6", **theirs}  # o=-6: sent, newest first
        for page in (1, deep):
            def ask(url, params):
                response = client.get(url, params)
                assert response.status_code == 200 and "?e=1" not in response.get("Location", ""), (url, response.status_code)
            our_params = {**ours, **(deep_params(rows, page) if page > 1 else {})}
            compare_requests(f"Recipients page {page}, {label}, sorted by sent vs admin changelist",
                       lambda: ask(ours_url, our_params), lambda: ask(admin_url, {**theirs, **({"p": str(page)} if page > 1 else {})}), repeat)


def cancel_rows(organization, count):
    ids = list(Incentive.objects.for_org(organization).unclaimed().order_by("pk").values_list("pk", flat=True)[:count])
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cancel", type=int, default=10_000)
    parser.add_argument("--send", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--deep", type=int, default=500, help="the deep page compared (default 500)")
    parser.add_argument("--only-pages", action="store_true", help="only the page rows")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS.append("testserver")
    call_command("migrate", verbosity=0)
    organization, user = seeded(args.rows)
    client = Client()
    client.force_login(user)
    print(f"\n{Incentive.objects.for_org(organization).count():,} incentives; median / p95 of {args.repeat}\n")
    print("| figure | ours | comparator | ratio |\n|---|---|---|---|")
    user.is_staff = user.is_superuser = True  # for the admin changelist
    user.save(update_fields=["is_staff", "is_superuser"])
    compare_pages(client, organization, seeded_study(organization), args.deep, args.repeat)
    if args.only_pages:
        return

    ids = cancel_rows(organization, args.cancel)

    def cancel_ours():
        rolled_back(lambda: [
            incentives_cancel_many(organization=organization, ids=ids[i : i + CHUNK_SIZE], actor=user)
            for i in range(0, len(ids), CHUNK_SIZE)
        ])

    def cancel_theirs():
        def work():
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE incentives_incentive SET status = 'cancelled', cancelled_at = now() "
                    "WHERE id = ANY(%s) AND status = 'unclaimed' RETURNING budget_id, amount_minor", [ids]
                )
                rows = cursor.fetchall()
            budget = Budget.objects.with_accounts().select_related("organization").get(pk=rows[0][0])
            budget_release(budget=budget, amount=budget.money(sum(amount for _, amount in rows)), actor=user, memo="bench")
        rolled_back(work)

    compare(f"bulk cancel of {len(ids):,} (chunks of {CHUNK_SIZE}) vs one UPDATE ... RETURNING", cancel_ours, cancel_theirs, args.repeat)

    list_url = reverse("recipients:list")

    def export_ours():
        for _ in client.get(list_url, {"export": "csv"}).streaming_content:
            pass

    def export_theirs():
        sql = (
            "COPY (SELECT p.name, p.email, s.name, i.amount_minor, i.currency, i.status, i.sent_at, i.reminder_count "
            "FROM incentives_incentive i JOIN studies_participant p ON p.id = i.participant_id "
            "JOIN studies_study s ON s.id = i.study_id WHERE i.organization_id = %s ORDER BY i.sent_at DESC, i.id DESC) "
            "TO STDOUT WITH (FORMAT csv)"
        )
        with connection.cursor() as cursor, cursor.cursor.copy(sql, [organization.pk]) as copy:
            for _ in copy:
                pass

    compare("CSV export of every row vs COPY of the same columns", export_ours, export_theirs, args.repeat)

    study = seeded_study(organization)
    budget = Budget.objects.with_accounts().select_related("organization").get(pk=study.budget_id)

    def new_people():
        people = Participant.objects.bulk_create(
            Participant(organization=organization, name=f"Send {n}", email=f"send{n}-{time.monotonic_ns()}@bench.test")
            for n in range(args.send)
        )
        StudyParticipant.objects.bulk_create(
            StudyParticipant(organization=organization, study=study, participant=p, status=StudyParticipant.Status.INCENTIVE_NOT_SENT)
            for p in people
        )
        return people

    def send_ours():
        def work():
            people = new_people()
            budget_fund(budget=budget, amount=Money(2_500 * len(people), "USD"), actor=user)
            incentives_send(study=study, participant_ids=[p.pk for p in people], amount=Money(2_500, "USD"),
                            subject="Thank you", message="Hi {name}", actor=user)
        rolled_back(work)

    def send_theirs():
        def work():
            people = new_people()
            now = timezone.now()
            nonces = [tokens.new_nonce() for _ in people]
            incentives = Incentive.objects.bulk_create(
                Incentive(organization=organization, study=study, participant=p, budget=budget, amount_minor=2_500, currency="USD",
                          token_nonce=nonce, token_hash=tokens.token_hash(tokens.claim_token(nonce)), subject="Thank you", sent_at=now)
                for p, nonce in zip(people, nonces)
            )
            OutboundEmail.objects.bulk_create(
                OutboundEmail(organization=organization, purpose="incentive_claim", reference=i.reference, from_name="Bench",
                              to_email=p.email, to_name=p.name, subject="Thank you", text_body="Hi")
                for i, p in zip(incentives, people)
            )
        rolled_back(work)

    compare(f"bulk send to {args.send:,} vs the same rows by bulk_create", send_ours, send_theirs, args.repeat)


def seeded_study(organization):
    from incentives.demo_scale import BENCH_STUDY
    from studies.models import Study

    return Study.objects.for_org(organization).get(name=BENCH_STUDY)


if __name__ == "__main__":
    main()
