"""The Recipients table pages by cursor (core/keyset.py): walking Next, then Previous, visits
every row once in the table's order for each sortable column either way, NULLs included;
the page's email failures are one query; the page's query count is pinned."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.keyset import SHALLOW_PAGES, encode
from core.models import OutboundEmail
from incentives.models import Incentive
from incentives.tables import RecipientTable

from .factories_recipients import make_incentives

pytestmark = pytest.mark.django_db
LIST = reverse("recipients:list")
ROW = re.compile(r'data-select-row[^>]*value="(\d+)"|value="(\d+)"[^>]*data-select-row')
LINK = {way: re.compile(rf'<li class="{way}"><a href="\?([^"]+)"') for way in ("next", "previous")}
SORTS = [
    name for name, column in RecipientTable.base_columns.items()
    if column.orderable is not False and name not in RecipientTable.fixed_columns
]


def ids(content: str) -> list[int]:
    return [int(a or b) for a, b in ROW.findall(content)]


def link(content: str, way: str) -> str | None:
    found = LINK[way].search(content)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def varied(study):
    """Ties on every key and NULLs in the nullable ones: 7 rows."""
    now = timezone.now()
    make_incentives(study, 2, amount_minor=1_000, names=["Ada", "Ada"], sent_at=now)
    make_incentives(study, 2, amount_minor=2_000, names=["Bob", "Cy"], sent_at=now - datetime.timedelta(days=3), reminded_at=now)
    make_incentives(study, 2, amount_minor=1_000, status=Incentive.Status.CLAIMED, names=["Ada", "Di"], sent_at=now)
    make_incentives(study, 1, amount_minor=500, status=Incentive.Status.CANCELLED, names=["Ed"])


@pytest.mark.parametrize("sort", [f"{way}{name}" for name in SORTS for way in ("", "-")])
def test_next_then_previous_visit_every_row_once_in_the_tables_order(client_for, researcher, varied, sort):
    client = client_for(researcher)
    everything = ids(client.get(LIST, {"sort": sort, "per_page": 100}).content.decode())
    assert len(everything) == 7
    pages, query = [], f"sort={sort}&per_page=2"
    while query:
        content = client.get(f"{LIST}?{query}").content.decode()
        pages.append(ids(content))
        query = link(content, "next")
    assert [pk for page in pages for pk in page] == everything
    back = []
    while query := link(content, "previous"):
        content = client.get(f"{LIST}?{query}").content.decode()
        back.insert(0, ids(content))
    assert back == pages[:-1]


def test_a_cursor_that_is_not_ours_shows_the_first_page(client_for, researcher, study):
    make_incentives(study, 3)
    client = client_for(researcher)
    first = ids(client.get(LIST).content.decode())
    ordering = ("-sent_at", "-pk")
    for junk in ("nonsense", "%%%", encode("not a date", 1, 5, ordering), encode(None, "x", 1, ordering)):
        response = client.get(LIST, {"after": junk})
        assert response.status_code == 200 and ids(response.content.decode()) == first


def test_numbered_pages_stop_at_the_shallow_ones(client_for, researcher, study):
    make_incentives(study, 3 * SHALLOW_PAGES + 3)
    client = client_for(researcher)
    deep = ids(client.get(LIST, {"per_page": 3, "page": 10_000}).content.decode())
    assert deep == ids(client.get(LIST, {"per_page": 3, "page": SHALLOW_PAGES}).content.decode())
    assert "OFFSET" not in "".join(q["sql"] for q in capture(client, {"per_page": 3, "after": encode(timezone.now(), 10**9, 40, ("-sent_at", "-pk"))}))


def test_a_sort_link_after_paging_shows_the_first_page_of_the_new_order(client_for, researcher, varied):
    client = client_for(researcher)
    content = client.get(LIST, {"per_page": 2}).content.decode()
    after = link(content, "next")  # by sent, newest first; then the Reminders header is clicked
    by_reminders = ids(client.get(f"{LIST}?{after}&sort=reminders").content.decode())
    assert by_reminders == ids(client.get(LIST, {"per_page": 2, "sort": "reminders"}).content.decode())


def capture(client, params) -> list[dict]:
    with CaptureQueriesContext(connection) as context:
        assert (client.get(f"{LIST}?{params}") if isinstance(params, str) else client.get(LIST, params)).status_code == 200
    return context.captured_queries


def test_a_failed_email_shows_on_its_row_looked_up_for_the_page_only(client_for, researcher, study):
    incentives = make_incentives(study, 3)
    failed = incentives[0]
    OutboundEmail.objects.create(organization=study.organization, purpose="incentive_claim", reference=failed.reference,
                                 to_email="a@example.test", subject="s", text_body="b", status=OutboundEmail.Status.FAILED,
                                 last_error="550 mailbox unavailable")
    client = client_for(researcher)
    queries = capture(client, {})
    assert "550 mailbox unavailable" in client.get(LIST).content.decode()
    email_queries = [q["sql"] for q in queries if "core_outboundemail" in q["sql"]]
    assert len(email_queries) == 1 and "DISTINCT ON" in email_queries[0]
    assert not [q for q in queries if "incentives_incentive" in q["sql"] and "core_outboundemail" in q["sql"]]


# Session, user, memberships, the membership's role, the studies the person manages, their
# column choice, the page's rows, the page's email failures (one query since issue 17, for the
# page's ids: it was a subquery run per row of the page query, so one query more than before),
# the Study and Budget filters' choices.
PAGE_QUERIES = 10


@pytest.mark.parametrize("count", [10, 300])
def test_a_page_takes_the_same_queries_at_any_depth_and_size(client_for, researcher, study, count):
    make_incentives(study, count)
    client = client_for(researcher)
    client.get(LIST)  # sessions, caches warmed
    first = capture(client, {"status": "unclaimed", "sort": "participant", "per_page": 5})
    assert len(first) == PAGE_QUERIES, "\n".join(q["sql"][:150] for q in first)
    content = client.get(LIST, {"status": "unclaimed", "sort": "participant", "per_page": 5}).content.decode()
    deeper = capture(client, link(content, "next"))
    assert len(deeper) == PAGE_QUERIES and "OFFSET" not in "".join(q["sql"] for q in deeper)
