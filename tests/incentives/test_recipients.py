"""The Recipients tab: filters (on a fixed clock), htmx fragment, columns, access."""

import datetime
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.services import table_columns_save
from incentives.filters import RecipientFilterSet
from incentives.models import Incentive
from incentives.tables import RecipientTable

from ..factories import make_budget
from ..studies.factories import make_study
from .factories_recipients import make_incentive, make_incentives

pytestmark = pytest.mark.django_db
Status = Incentive.Status
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
LIST = reverse("recipients:list")
HEADER = re.compile(r"<th[^>]*>\s*(?:<a[^>]*>)?\s*([^<]+?)\s*(?:</a>)?\s*</th>")


@pytest.fixture
def clock(monkeypatch):
    """timezone.now() is NOW for the filters and the services."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def dated(clock, study):
    """One unclaimed incentive per age, named by its age."""
    ages = {"3 days": 3, "20 days": 20, "200 days": 200, "400 days": 400, "800 days": 800}
    return {name: make_incentive(study, name=name, sent_at=NOW - datetime.timedelta(days=days)) for name, days in ages.items()}


def matching(organization, **params) -> set[str]:
    data = QueryDict(mutable=True)
    data.update(params)
    filterset = RecipientFilterSet(data, queryset=Incentive.objects.for_org(organization), organization=organization)
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("participant__name", flat=True))


@pytest.mark.smoke
@pytest.mark.parametrize(
    "option, names",
    [
        ("week", {"3 days"}),
        ("month", {"3 days", "20 days"}),
        ("year", {"3 days", "20 days", "200 days"}),
        ("over_a_year", {"400 days", "800 days"}),
    ],
)
def test_each_relative_sent_option_returns_exactly_its_rows(organization, dated, option, names):
    assert matching(organization, sent=option) == names


def test_the_relative_options_count_back_from_now_to_the_second(organization, clock, study):
    make_incentive(study, name="just in", sent_at=NOW - datetime.timedelta(days=7))
    make_incentive(study, name="just out", sent_at=NOW - datetime.timedelta(days=7, seconds=1))
    assert matching(organization, sent="week") == {"just in"}


@pytest.mark.parametrize(
    "params, names",
    [
        ({"sent": "before", "sent_date": "2026-06-12"}, {"20 days", "200 days", "400 days", "800 days"}),
        ({"sent": "before", "sent_date": "2026-06-13"}, {"3 days", "20 days", "200 days", "400 days", "800 days"}),
        ({"sent": "before", "sent_date": "2025-11-28"}, {"200 days", "400 days", "800 days"}),
        ({"sent": "after", "sent_date": "2026-06-11"}, {"3 days"}),
        ({"sent": "after", "sent_date": "2026-06-12"}, set()),
        ({"sent": "between", "sent_from": "2025-11-27", "sent_to": "2026-06-12"}, {"3 days", "20 days", "200 days"}),
        ({"sent": "between", "sent_from": "2025-11-28", "sent_to": "2026-06-11"}, {"20 days"}),
    ],
)
def test_custom_dates_return_exactly_their_rows(organization, dated, params, names):
    # 3 days ago is 2026-06-12, 20 days 2026-05-26, 200 days 2025-11-27 (all at 12:00).
    assert matching(organization, **params) == names


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"sent": "before"}, "sent_date", "Choose the date."),
        ({"sent": "between", "sent_from": "2026-01-01"}, "sent_to", "Choose both dates."),
        ({"sent": "between", "sent_from": "2026-02-01", "sent_to": "2026-01-01"}, "sent_to", "The end date is before the start date."),
        ({"amount_min": "30", "amount_max": "10"}, "amount_max", "The maximum is below the minimum."),
    ],
)
def test_incomplete_dates_and_ranges_are_explained(organization, params, field, message):
    data = QueryDict(mutable=True)
    data.update(params)
    filterset = RecipientFilterSet(data, queryset=Incentive.objects.all(), organization=organization)
    assert not filterset.is_valid()
    assert filterset.errors[field] == [message]


def test_status_study_budget_amount_and_search_filters(organization, owner, researcher, study):
    other_budget = make_budget(organization, name="Other", funds_minor=10_000, actor=owner)
    other_study = make_study(budget=other_budget, owner=researcher, name="Other study", amount_minor=1_000)
    make_incentive(study, name="Ada Lovelace", status=Status.UNCLAIMED)
    make_incentive(study, name="Alan Turing", status=Status.CLAIMED, amount_minor=5_000)
    make_incentive(study, name="Grace Hopper", status=Status.CANCELLED)
    make_incentive(study, name="Hedy Lamarr", status=Status.EXPIRED)
    make_incentive(other_study, name="Emmy Noether")
    assert matching(organization, status="claimed") == {"Alan Turing"}
    assert matching(organization, status="expired") == {"Hedy Lamarr"}
    assert matching(organization, study=str(other_study.pk)) == {"Emmy Noether"}
    assert matching(organization, budget=str(other_budget.pk)) == {"Emmy Noether"}
    assert matching(organization, amount_min="25") == {"Ada Lovelace", "Alan Turing", "Grace Hopper", "Hedy Lamarr"}
    assert matching(organization, amount_min="10.01", amount_max="49.99") == {"Ada Lovelace", "Grace Hopper", "Hedy Lamarr"}
    assert matching(organization, q="hopper") == {"Grace Hopper"}
    email = Incentive.objects.get(participant__name="Emmy Noether").participant.email
    assert matching(organization, q=email.upper()) == {"Emmy Noether"}


def test_another_organizations_study_is_not_a_valid_filter(organization, other_organization, outsider, study):
    other = make_study(budget=make_budget(other_organization, funds_minor=0), owner=outsider)
    data = QueryDict(f"study={other.pk}")
    assert not RecipientFilterSet(data, queryset=Incentive.objects.all(), organization=organization).is_valid()


def test_the_page_shows_the_table_with_filters_and_bulk_actions(client_for, researcher, study):
    make_incentive(study, name="Ada Lovelace")
    response = client_for(researcher).get(LIST)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace" in content and 'id="recipient-filters"' in content
    assert "Resend incentives" in content and "Cancel incentives" in content and "Export CSV" in content
    assert 'aria-label="Actions for Ada Lovelace"' in content


def test_htmx_gets_only_the_results(client_for, researcher, study):
    make_incentive(study, name="Ada Lovelace", status=Status.CLAIMED)
    make_incentive(study, name="Alan Turing")
    response = client_for(researcher).get(LIST, {"status": "claimed"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="results"')
    assert "<html" not in content and 'id="recipient-filters"' not in content
    assert "Ada Lovelace" in content and "Alan Turing" not in content
    assert "HX-Request" in response["Vary"]


def test_a_bad_filter_is_explained_in_the_results(client_for, researcher, study):
    response = client_for(researcher).get(LIST, {"sent": "before"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert "Choose the date." in response.content.decode()


def test_sorting_by_a_column(client_for, researcher, study):
    make_incentive(study, name="Bob", amount_minor=3_000)
    make_incentive(study, name="Alice", amount_minor=1_000)
    content = client_for(researcher).get(LIST, {"sort": "participant"}).content.decode()
    assert content.index("Alice") < content.index("Bob")
    content = client_for(researcher).get(LIST, {"sort": "-amount"}).content.decode()
    assert content.index("Bob") < content.index("Alice")


# Sorting by a study's or a budget's name orders whole groups of rows: no index of the
# incentive can serve it (see docs/benchmarks.md); every other sortable column has one.
UNINDEXED_SORTS = {"study", "budget"}
INDEXED_SORTS = [
    name for name, column in RecipientTable.base_columns.items()
    if column.orderable is not False and name not in RecipientTable.fixed_columns and name not in UNINDEXED_SORTS
]


def page_query_plan(client, params) -> str:
    """PostgreSQL's plan for the page's rows query, with sorting and sequential scans priced
    out so that the plan sorts only if no index gives the order."""
    with CaptureQueriesContext(connection) as context:
        assert client.get(LIST, params).status_code == 200
    (page_query,) = [q["sql"] for q in context.captured_queries if 'FROM "incentives_incentive"' in q["sql"] and "LIMIT" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {page_query}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("sort", [f"{way}{name}" for name in INDEXED_SORTS for way in ("", "-")])
def test_each_sortable_column_pages_through_an_index_not_a_sort(client_for, researcher, study, sort):
    make_incentives(study, 3)
    plan = page_query_plan(client_for(researcher), {"sort": sort})
    assert not re.search(r"(^|->  )Sort\b", plan, re.MULTILINE), plan


def test_the_chosen_columns_are_remembered_per_person(client_for, researcher, admin_user, study):
    make_incentive(study, name="Ada Lovelace")
    table_columns_save(user=researcher, table_name="RecipientTable", columns=["participant", "budget", "status"])
    headers = HEADER.findall(client_for(researcher).get(LIST).content.decode())
    assert [h for h in headers if h.strip()] == ["Participant", "Budget", "Status"]
    assert "Email" in HEADER.findall(client_for(admin_user).get(LIST).content.decode())


def test_a_viewer_reads_the_table_without_actions(client_for, viewer, study):
    make_incentive(study, name="Ada Lovelace")
    content = client_for(viewer).get(LIST).content.decode()
    assert "Ada Lovelace" in content and "Export CSV" in content
    assert "Cancel incentives" not in content and "Resend incentives" not in content and "Actions for" not in content


def test_another_organizations_incentives_never_show(client_for, outsider, study):
    make_incentive(study, name="Secret Person")
    response = client_for(outsider).get(LIST)
    assert response.status_code == 200 and "Secret Person" not in response.content.decode()
    count = client_for(outsider).get(reverse("recipients:count")).content.decode()
    assert 'data-matching-count="0"' in count


def test_the_matching_count_is_for_the_filters(client_for, researcher, study):
    make_incentives(study, 3)
    make_incentives(study, 2, status=Status.CLAIMED)
    response = client_for(researcher).get(reverse("recipients:count"), {"status": "unclaimed"})
    assert 'data-matching-count="3"' in response.content.decode()


@pytest.mark.smoke
def test_the_table_does_a_constant_number_of_queries(client_for, researcher, study):
    client = client_for(researcher)
    client.get(LIST)  # sessions, caches warmed

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(LIST, {"status": "unclaimed", "sort": "participant"}).status_code == 200
        return len(context)

    make_incentives(study, 10)
    few = queries()
    make_incentives(study, 990)
    assert queries() == few


def test_the_row_menu_shows_only_on_rows_the_person_may_change(client_for, owner, researcher, study):
    theirs = make_study(budget=study.budget, owner=owner, name="Owner's study")
    make_incentive(study, name="Ada Lovelace")
    make_incentive(theirs, name="Alan Turing")
    make_incentive(study, name="Grace Hopper", status=Status.CLAIMED)
    content = client_for(researcher).get(LIST).content.decode()
    assert "Actions for Ada Lovelace" in content
    assert "Actions for Alan Turing" not in content and "Actions for Grace Hopper" not in content
    assert "Actions for Alan Turing" in client_for(owner).get(LIST).content.decode()
