"""PostgreSQL's plans for the Recipients page (issue 17): on a seeded table of two
organizations (20,000 and 2,000 incentives, one INSERT ... SELECT each, then ANALYZE), the
page's queries of every filter and sort, at the first page and at a cursor deep in the rows,
sort no whole table and run no subquery per row."""

import functools

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit import sql as audit_sql
from core import keyset
from core.keyset import encode, key_of
from incentives.models import Incentive
from incentives.tables import RecipientTable
from incentives.views.recipients import recipients_context
from tenancy.models import Membership

from ..factories import make_budget
from ..studies.factories import make_study

pytestmark = pytest.mark.django_db

FILTERS = {
    "none": {},
    "status": {"status": "unclaimed"},
    "sent": {"sent": "over_a_year"},
    "study": {"study": "{study}"},
    "budget": {"budget": "{budget}"},
    "status, sent and study": {"status": "unclaimed", "sent": "over_a_year", "study": "{study}"},
}
# A sort by study or budget name orders whole groups of rows, which no index of the incentive
# gives (docs/benchmarks.md: filter by the study or budget instead); not asserted here.
GROUP_SORTS = {"study", "budget"}
# A Sort of more rows than this (by the planner's estimate) sorts a large part of the table,
# not the few rows a narrow filter matches.
WHOLE = 1_000
SORTS = [n for n, c in RecipientTable.base_columns.items() if c.orderable is not False and n not in {*RecipientTable.fixed_columns, *GROUP_SORTS}]


def seed(organization, owner, rows: int, studies: int):
    """`rows` incentives over `studies` studies of two budgets: statuses, amounts, reminders
    and sent dates (two years) spread as a real organization's."""
    budgets = [make_budget(organization, actor=owner) for _ in range(2)]
    made = [make_study(budget=budgets[n % 2], owner=owner) for n in range(studies)]
    with connection.cursor() as cursor:
        # Seeded rows are no one's changes: the audit trigger is off for them (this
        # transaction only: the test's rollback turns it back on). Deferred checks run first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in ("studies_participant", "incentives_incentive"):
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER {audit_sql.TRIGGER}')
        cursor.execute(
            "INSERT INTO studies_participant (organization_id, name, email, created_at) "
            "SELECT %s, 'Person ' || n, 'person' || n || '@example.test', now() FROM generate_series(1, %s) n",
            [organization.pk, rows],
        )
        cursor.execute(
            """
            INSERT INTO incentives_incentive (organization_id, study_id, participant_id, budget_id, amount_minor, currency,
                status, token_nonce, token_hash, subject, message, sent_at, claimed_at, cancelled_at, reminder_count,
                last_reminded_at, payout_method, payout_status, payout_details_sealed, payout_details_masked, payout_return_reason, w9_hold)
            SELECT %(org)s, s.id, p.id, s.budget_id, (1 + p.n %% 10) * 500, 'USD', st.status, md5('n' || p.id), md5('h' || p.id),
                'Thank you', '', t.sent, CASE WHEN st.status = 'claimed' THEN t.sent END, CASE WHEN st.status = 'cancelled' THEN t.sent END,
                p.n %% 3, CASE WHEN p.n %% 3 > 0 THEN t.sent + interval '7 days' END,
                CASE WHEN st.status = 'claimed' THEN 'gift_card' ELSE '' END, CASE WHEN st.status = 'claimed' THEN 'owed' ELSE '' END,
                '', '{}', '', false
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM studies_participant WHERE organization_id = %(org)s) p
            JOIN (SELECT id, budget_id, row_number() OVER (ORDER BY id) - 1 AS k FROM studies_study WHERE organization_id = %(org)s) s
                ON s.k = (p.n * 7) %% %(studies)s
            CROSS JOIN LATERAL (SELECT (ARRAY['unclaimed','unclaimed','unclaimed','unclaimed','unclaimed','unclaimed',
                'claimed','claimed','claimed','cancelled'])[1 + p.n %% 10] AS status) st
            CROSS JOIN LATERAL (SELECT now() - interval '730 days' * ((p.n * 7919) %% %(rows)s) / %(rows)s AS sent) t
            """,
            {"org": organization.pk, "rows": rows, "studies": studies},
        )
        for table in ("studies_participant", "incentives_incentive"):
            cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER {audit_sql.TRIGGER}')
    return made[0], budgets[0]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def problems(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (plan,) = cursor.fetchone()[0]
    found = []
    for node in nodes(plan["Plan"]):
        if node.get("Parent Relationship") == "SubPlan":
            found.append(f"a SubPlan ({node['Node Type']}) per row")
        if node["Node Type"] == "Sort" and node["Plan Rows"] > WHOLE:
            found.append(f"a Sort of {node.get('Plan Rows')} rows by {node.get('Sort Key')}")
    return found


def incentive_queries(work) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        work()
    return [q["sql"] for q in context.captured_queries if q["sql"].startswith("SELECT") and 'FROM "incentives_incentive"' in q["sql"]]


def test_no_filter_or_sort_sorts_the_table_or_runs_a_subquery_per_row(organization, other_organization, owner, outsider):
    sizes = {organization: (owner, seed(organization, owner, 20_000, 8)), other_organization: (outsider, seed(other_organization, outsider, 2_000, 3))}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incentives_incentive, studies_participant, studies_study, budgets_budget")
    failures = []
    for org, (user, (study, budget)) in sizes.items():
        membership = Membership.objects.select_related("organization").get(user=user, organization=org)
        mine = Incentive.objects.for_org(org).select_related("participant", "study", "budget").order_by("pk")
        middle = mine[mine.count() // 2]

        def request_for(params, user=user, membership=membership, org=org):
            request = RequestFactory().get(reverse("recipients:list"), params)
            request.user, request.membership, request.organization, request.htmx = user, membership, org, False
            return request

        for label, filters in FILTERS.items():
            filters = {k: v.format(study=study.pk, budget=budget.pk) for k, v in filters.items()}
            for sort in [f"{way}{name}" for name in SORTS for way in ("", "-")]:
                params = {**filters, "sort": sort}
                context = {}
                first = incentive_queries(lambda: context.update(recipients_context(request_for(params))))
                assert len(first) == 1, first
                # The next page after the row half way through (by id), as the view pages.
                table = context["table"]
                ordering = table.data.data.query.order_by
                path = key_of(ordering, Incentive)[0]
                value = functools.reduce(getattr, path.split("__"), middle)
                cursor = encode(value, middle.pk, 10_000, ordering)
                deep = incentive_queries(lambda: keyset.paginate(table, table.data.data, per_page=50, after=cursor))
                assert deep and all("OFFSET" not in sql and "LIMIT 51" in sql for sql in deep), deep
                assert table.page.first_row == 10_001  # the cursor was taken, not the first page
                for where, sql in [("page 1", q) for q in first] + [("deep", q) for q in deep]:
                    failures += [f"{org.slug}, {label}, sort {sort}, {where}: {p}" for p in problems(sql)]
    assert not failures, "\n".join(failures)
