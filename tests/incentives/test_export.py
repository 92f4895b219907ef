"""CSV export of the Recipients table: chosen columns, filters, selection, safety, streaming."""

import csv
import io
import tracemalloc

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from core.services import table_columns_save
from incentives.demo_scale import incentives_bulk_seed
from incentives.models import Incentive

from ..factories import make_budget
from ..studies.factories import make_study
from .factories_recipients import make_incentive, make_incentives

pytestmark = pytest.mark.django_db
Status = Incentive.Status
LIST = reverse("recipients:list")
EXPORT = reverse("recipients:export")


def read(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.smoke
def test_the_export_has_the_chosen_columns_and_the_filtered_rows(client_for, researcher, study):
    ada = make_incentive(study, name="Ada Lovelace", amount_minor=1_250)
    make_incentive(study, name="Alan Turing", status=Status.CLAIMED)
    table_columns_save(user=researcher, table_name="RecipientTable", columns=["participant", "amount", "status", "sent_at"])

    response = client_for(researcher).get(LIST, {"status": "unclaimed", "export": "csv"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="recipients-{timezone.localdate():%Y-%m-%d}.csv"'
    assert read(response) == [
        ["Participant", "Amount", "Currency", "Status", "Sent"],
        ["Ada Lovelace", "12.50", "USD", "Unclaimed", ada.sent_at.isoformat(timespec="seconds")],
    ]


def test_amounts_are_decimals_with_their_currency_code(client_for, owner, researcher, organization):
    yen = make_study(budget=make_budget(organization, name="Yen", currency="JPY", actor=owner), owner=researcher, amount_minor=500)
    dinar = make_study(budget=make_budget(organization, name="Dinar", currency="KWD", actor=owner), owner=researcher, amount_minor=1_005)
    make_incentive(yen, name="Yen person")
    make_incentive(dinar, name="Dinar person")
    table_columns_save(user=researcher, table_name="RecipientTable", columns=["participant", "amount"])
    rows = read(client_for(researcher).get(LIST, {"export": "csv", "sort": "participant"}))
    assert rows[1:] == [["Dinar person", "1.005", "KWD"], ["Yen person", "500", "JPY"]]


def test_the_export_follows_the_sort(client_for, researcher, study):
    make_incentive(study, name="Bob", amount_minor=3_000)
    make_incentive(study, name="Alice", amount_minor=1_000)
    table_columns_save(user=researcher, table_name="RecipientTable", columns=["participant"])
    assert read(client_for(researcher).get(LIST, {"export": "csv", "sort": "-amount"})) == [["Participant"], ["Bob"], ["Alice"]]
    posted = client_for(researcher).post(EXPORT, {"filters": "sort=participant"})
    assert read(posted) == [["Participant"], ["Alice"], ["Bob"]]


def test_a_formula_in_a_name_is_neutralised(client_for, researcher, study):
    make_incentive(study, name='=HYPERLINK("x")')
    table_columns_save(user=researcher, table_name="RecipientTable", columns=["participant", "study"])
    rows = read(client_for(researcher).get(LIST, {"export": "csv"}))
    assert rows[1] == ["'=HYPERLINK(\"x\")", "Onboarding interviews"]


def test_the_selected_rows_are_exported(client_for, viewer, study):
    picked = make_incentives(study, 3, names=["A one", "B two", "C three"])
    table_columns_save(user=viewer, table_name="RecipientTable", columns=["participant"])
    response = client_for(viewer).post(EXPORT, {"selection": [picked[0].pk, picked[2].pk], "filters": "sort=participant"})
    assert read(response) == [["Participant"], ["A one"], ["C three"]]


def test_nothing_ticked_exports_everything_the_filters_match_minus_unticked(client_for, researcher, study):
    rows = make_incentives(study, 3, names=["A one", "B two", "C three"])
    make_incentive(study, name="D claimed", status=Status.CLAIMED)
    table_columns_save(user=researcher, table_name="RecipientTable", columns=["participant"])
    client = client_for(researcher)
    assert read(client.post(EXPORT, {"filters": "status=unclaimed&sort=participant"}))[1:] == [["A one"], ["B two"], ["C three"]]
    response = client.post(EXPORT, {"all_matching": "1", "excluded": str(rows[1].pk), "filters": "status=unclaimed&sort=participant"})
    assert read(response)[1:] == [["A one"], ["C three"]]


def test_another_organizations_ids_are_not_exported(client_for, outsider, study):
    row = make_incentive(study, name="Secret Person")
    response = client_for(outsider).post(EXPORT, {"selection": [row.pk]})
    assert response.status_code == 404


def test_a_budget_page_exports_only_that_budgets_rows(client_for, owner, researcher, study, organization):
    make_incentive(study, name="In budget")
    other = make_study(budget=make_budget(organization, name="Other", actor=owner), owner=researcher)
    make_incentive(other, name="Elsewhere")
    table_columns_save(user=researcher, table_name="RecipientTable", columns=["participant"])
    response = client_for(researcher).post(EXPORT, {"scope_budget": study.budget_id, "filters": ""})
    assert read(response) == [["Participant"], ["In budget"]]


@pytest.mark.slow
def test_a_100000_row_export_streams(client_for, researcher, study):
    incentives_bulk_seed(study=study, count=100_000)
    table_columns_save(user=researcher, table_name="RecipientTable", columns=["participant", "email", "amount", "status", "sent_at"])
    response = client_for(researcher).get(LIST, {"export": "csv"})
    assert isinstance(response, StreamingHttpResponse)
    assert not hasattr(response, "content") or response.streaming

    tracemalloc.start()
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert lines == 100_001
    # 100,000 rows held at once would take tens of MB; the stream holds one database chunk.
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
