"""The Budgets tab and a budget's page: figures, counts, chart, ledger, its recipients."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from budgets.charts import funds_chart
from budgets.selectors import budget_funds_series

from ..factories import make_budget
from ..incentives.factories_recipients import make_incentive, make_incentives
from ..studies.factories import make_study

pytestmark = pytest.mark.django_db
LIST = reverse("budgets:list")


def detail(budget):
    return reverse("budgets:detail", args=[budget.pk])


@pytest.fixture
def study(budget, researcher):
    return make_study(budget=budget, owner=researcher, name="Budget page study")


def cells(content: str, budget_name: str) -> list[str]:
    row = re.search(rf"<tr[^>]*>\s*<td[^>]*><a[^>]*>{budget_name}</a></td>(.*?)</tr>", content, re.S).group(1)
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


@pytest.mark.smoke
def test_the_budgets_tab_shows_figures_and_counts_per_budget(client_for, researcher, study):
    make_incentives(study, 3)
    make_incentives(study, 2, status="claimed")
    make_incentives(study, 1, status="cancelled")
    content = client_for(researcher).get(LIST).content.decode()
    # currency, funded, reserved, payable (claimed, not paid), paid out, available, sent, unclaimed, claimed, cancelled
    assert cells(content, "Interviews") == ["USD", "$1,150.00", "$75.00", "$50.00", "$0.00", "$1,025.00", "6", "3", "2", "1"]
    assert 'href="/incentives/recipients/"' in content


def test_the_budgets_tab_does_a_constant_number_of_queries(client_for, organization, owner, researcher, study):
    client = client_for(researcher)
    client.get(LIST)

    def queries():
        with CaptureQueriesContext(connection) as context:
            client.get(LIST)
        return len(context)

    few = queries()
    for n in range(5):
        make_incentives(make_study(budget=make_budget(organization, actor=owner), owner=researcher), 3)
    assert queries() == few


def test_another_organizations_budgets_are_not_listed_or_found(client_for, outsider, budget):
    assert "Interviews" not in client_for(outsider).get(LIST).content.decode()
    assert client_for(outsider).get(detail(budget)).status_code == 404


def test_the_budget_page_shows_figures_counts_chart_and_its_own_recipients(client_for, owner, researcher, organization, study, budget):
    make_incentive(study, name="Ada Lovelace")
    make_incentive(study, name="Alan Turing", status="claimed")
    other = make_study(budget=make_budget(organization, name="Elsewhere", funds_minor=10_000, actor=owner), owner=researcher)
    make_incentive(other, name="Grace Hopper")

    content = client_for(researcher).get(detail(budget)).content.decode()

    assert 'id="budget-available">$1,000.00<' in content
    assert 'id="budget-sent">2<' in content and 'id="budget-unclaimed">1<' in content
    assert "<svg" in content and content.count('<g class="bar">') == 1  # one day of money moving: one bar
    assert "Ada Lovelace" in content and "Alan Turing" in content and "Grace Hopper" not in content
    assert 'name="scope_budget" value="%d"' % budget.pk in content
    assert "Cancel incentives" in content and "<h2>Ledger</h2>" in content


def test_the_chart_has_no_inline_styles(client_for, researcher, study, budget):
    make_incentives(study, 2)
    content = client_for(researcher).get(detail(budget)).content.decode()
    svg = content[content.index("<svg"):content.index("</svg>")]
    assert "style=" not in svg


def test_htmx_on_the_budget_page_gets_only_its_filtered_recipients(client_for, researcher, study, budget):
    make_incentive(study, name="Ada Lovelace")
    make_incentive(study, name="Alan Turing", status="claimed")
    response = client_for(researcher).get(detail(budget), {"status": "claimed"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="results"') and "Ledger" not in content
    assert "Alan Turing" in content and "Ada Lovelace" not in content


def test_cancelling_from_the_budget_page_raises_its_available_amount(client_for, researcher, study, budget):
    rows = make_incentives(study, 2, amount_minor=4_000)
    client = client_for(researcher)
    response = client.post(reverse("recipients:bulk", args=["cancel"]), {
        "all_matching": "1", "filters": f"budget={budget.pk}&status=unclaimed", "scope_budget": budget.pk,
        "next": detail(budget), "confirmed": "1",
    })
    assert response["Location"] == detail(budget)
    assert 'id="budget-available">$1,080.00<' in client.get(detail(budget)).content.decode()
    assert {r.status for r in type(rows[0]).objects.filter(pk__in=[r.pk for r in rows])} == {"cancelled"}


def test_cancelling_all_of_a_budget_pages_table_unfiltered_is_not_allowed(client_for, researcher, study, budget):
    make_incentives(study, 2)
    response = client_for(researcher).post(reverse("recipients:bulk", args=["cancel"]), {
        "all_matching": "1", "filters": f"budget={budget.pk}", "scope_budget": budget.pk, "next": detail(budget), "confirmed": "1",
    })
    assert response.status_code == 302
    assert study.incentives.filter(status="unclaimed").count() == 2


def test_the_ledger_pages_apart_from_the_recipients(client_for, owner, budget):
    client = client_for(owner)
    for n in range(30):
        client.post(reverse("budgets:fund", args=[budget.pk]), {"fund-amount": "1.00", "fund-memo": f"top-up {n}"})
    first = client.get(detail(budget)).content.decode()
    assert "top-up 29" in first and "top-up 0<" not in first and "?ledger_page=2" in first
    assert "top-up 0<" in client.get(detail(budget), {"ledger_page": 2}).content.decode()


def test_funding_and_withdrawing_are_for_managers(client_for, owner, viewer, researcher, budget):
    fund = reverse("budgets:fund", args=[budget.pk])
    assert client_for(viewer).post(fund, {"fund-amount": "5.00"}).status_code == 403
    assert client_for(researcher).post(fund, {"fund-amount": "5.00"}).status_code == 403
    assert "Add funds" not in client_for(viewer).get(detail(budget)).content.decode()
    client_for(owner).post(fund, {"fund-amount": "5.00"})
    client_for(owner).post(reverse("budgets:withdraw", args=[budget.pk]), {"withdraw-amount": "2.50"})
    budget.available_account.refresh_from_db()
    assert budget.available_account.balance_minor == 100_000 + 500 - 250


def test_the_funds_series_follows_the_ledger_day_by_day(study, budget):
    make_incentives(study, 2, amount_minor=1_000)
    make_incentives(study, 1, amount_minor=1_000, status="claimed")
    series = budget_funds_series(budget=budget)
    assert series == [(timezone.localdate(), {"available": 100_000, "reserved": 2_000, "payable": 1_000, "paid_out": 0})]


def test_the_chart_has_a_bar_a_day_from_the_first_day_to_today_with_its_figures_in_words():
    start = datetime.date(2026, 1, 1)
    chart = funds_chart(
        [(start, {"available": 1_000, "reserved": 0, "paid_out": 0}), (start + datetime.timedelta(days=5), {"available": 500, "reserved": 500, "paid_out": 0})],
        currency="USD",
        today=start + datetime.timedelta(days=10),
    )
    assert len(chart["bars"]) == 11 and chart["top_label"] == "$10.00"
    assert chart["bars"][3]["title"] == "2026-01-04: Available $10.00, Reserved (sent, unclaimed) $0.00, Payable (claimed, not paid) $0.00, Paid out $0.00"
    assert [part["kind"] for part in chart["bars"][-1]["segments"]] == ["available", "reserved"]
    assert [k["last"] for k in chart["kinds"]] == ["$5.00", "$5.00", "$0.00", "$0.00"]
    assert [row["day"] for row in chart["table"]] == [start, start + datetime.timedelta(days=5)]
    assert chart["bars"][0]["label"] == "Jan 1" and chart["bars"][-1]["label"] == "Jan 11"
    assert funds_chart([], currency="USD", today=start) is None


def test_a_one_day_chart_is_one_bar_not_a_line():
    day = datetime.date(2026, 1, 1)
    chart = funds_chart([(day, {"available": 1_000, "reserved": 250})], currency="USD", today=day)
    (bar,) = chart["bars"]
    assert bar["width"] == 48 and [part["height"] for part in bar["segments"]] == [148.8, 37.2]


def test_the_chart_shows_the_last_month_carrying_older_balances():
    start = datetime.date(2026, 1, 1)
    chart = funds_chart([(start, {"available": 1_000})], currency="USD", today=start + datetime.timedelta(days=90))
    assert len(chart["bars"]) == 31 and chart["bars"][0]["segments"][0]["height"] == 186.0
    assert chart["table"] == []


def test_a_fund_form_posted_twice_adds_the_money_once(client_for, owner, budget):
    import re

    from budgets.models import Budget

    client = client_for(owner)
    page = client.get(reverse("budgets:detail", args=[budget.pk])).content.decode()
    key = re.search(r'<form method="post" action="[^"]*/fund/".*?name="once" value="([0-9a-f]{32})"', page, re.S).group(1)
    before = Budget.objects.with_accounts().get(pk=budget.pk).available_minor
    form = {"fund-amount": "10.00", "fund-memo": "", "once": key}
    client.post(reverse("budgets:fund", args=[budget.pk]), form)
    again = client.post(reverse("budgets:fund", args=[budget.pk]), form, follow=True).content.decode()
    assert "Done already, once" in again
    assert Budget.objects.with_accounts().get(pk=budget.pk).available_minor == before + 1_000
    refused = client.post(reverse("budgets:withdraw", args=[budget.pk]), {"withdraw-amount": "99999999", "once": "b" * 32}, follow=True)
    assert "available" in refused.content.decode()
    client.post(reverse("budgets:withdraw", args=[budget.pk]), {"withdraw-amount": "1.00", "once": "b" * 32})
    assert Budget.objects.with_accounts().get(pk=budget.pk).available_minor == before + 900, "a refused post frees its key"
    bad = client.post(reverse("budgets:fund", args=[budget.pk]), {**form, "once": "not-a-key"}, follow=True).content.decode()
    assert "This form is out of date" in bad
