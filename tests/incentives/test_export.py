"""CSV export of the Recipients table: chosen columns, filters, selection, safety, streaming."""

import csv
import io
import os
import tracemalloc

import pytest
from django.db.models import CharField, Value
from django.db.models.functions import Concat
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from core.csv import csv_rows
from core.money import decimals
from core.services import table_columns_save
from incentives.demo_scale import incentives_bulk_seed
from incentives.models import Incentive
from incentives.tables import RecipientTable
from studies.models import Participant

from ..factories import make_budget
from ..reliability.test_hostile_input import HOSTILE_CELLS, ORDINARY_CELLS
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


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
def test_a_100000_row_export_streams(client_for, researcher, study, capsys):
    incentives_bulk_seed(study=study, count=100_000)
    table_columns_save(user=researcher, table_name="RecipientTable", columns=["participant", "email", "amount", "status", "sent_at"])
    response = client_for(researcher).get(LIST, {"export": "csv"})
    assert isinstance(response, StreamingHttpResponse) and response.streaming

    rss_before = rss_bytes()
    tracemalloc.start()
    lines = size = largest = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
        largest = max(largest, len(chunk))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_growth = rss_bytes() - rss_before
    with capsys.disabled():
        print(f"\n[export] 100,000 rows, {size / 1e6:.1f} MB streamed in pieces of at most {largest / 1e3:.0f} kB; "
              f"Python peak {peak / 1e6:.2f} MB, RSS {rss_growth / 1e6:+.1f} MB")

    assert lines == 100_001
    # Held at once, the body would be ~8 MB; the stream holds one piece of about 64 kB.
    assert size > 7_000_000 and largest < 128 * 1024
    assert peak < 1_000_000, f"peak {peak / 1e6:.1f} MB"
    assert rss_growth < size / 2, f"RSS grew {rss_growth / 1e6:.1f} MB"


def python_export(queryset, columns: list[str]) -> list[list[str]]:
    """What the export wrote before it used COPY: each row built in Python, every cell through
    core.csv.safe_cell. The reference the COPY export is compared with."""
    labels = dict(Status.choices)
    payout_labels, method_labels = dict(Incentive.PayoutStatus.choices), dict(Incentive.PayoutMethod.choices)

    def amount(minor, currency):
        places = decimals(currency)
        whole, part = divmod(minor, 10**places)
        return f"{whole}.{part:0{places}d}" if places else str(minor)

    def when(value):
        return value.isoformat(timespec="seconds") if value else ""

    cells = {
        "participant": lambda i: [i.participant.name], "email": lambda i: [i.participant.email],
        "study": lambda i: [i.study.name], "budget": lambda i: [i.budget.name],
        "amount": lambda i: [amount(i.amount_minor, i.currency), i.currency], "status": lambda i: [labels.get(i.status)],
        "sent_at": lambda i: [when(i.sent_at)], "reminders": lambda i: [i.reminder_count],
        "last_reminded_at": lambda i: [when(i.last_reminded_at)], "claimed_at": lambda i: [when(i.claimed_at)],
        "cancelled_at": lambda i: [when(i.cancelled_at)],
        "payout": lambda i: [payout_labels.get(i.payout_status, ""), method_labels.get(i.payout_method, "")],
    }
    text = "".join(csv_rows(
        [header for name in columns for header, _ in RecipientTable.EXPORTS[name]],
        ([cell for name in columns for cell in cells[name](row)] for row in queryset),
    ))
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_copy_export_writes_the_same_cells_as_the_python_one_on_hostile_data(client_for, owner, researcher, organization):
    names = HOSTILE_CELLS + [cell for cell in ORDINARY_CELLS if cell]  # a participant has a name
    studies = [
        make_study(budget=make_budget(organization, name=f"{name[:40]} {n}", currency=currency, actor=owner), owner=researcher,
                   name=f"{name} study", amount_minor=amount)
        for n, (name, currency, amount) in enumerate([("=SUM(A1)", "USD", 1_005), ("Dinar ✓", "KWD", 1_005), ("\tYen", "JPY", 7)])
    ]
    for n, name in enumerate(names):
        make_incentive(studies[n % 3], name=name, status=[Status.UNCLAIMED, Status.CLAIMED, Status.CANCELLED][n % 3])
    Participant.objects.filter(incentives__study=studies[0]).update(email=Concat(Value("=cmd"), "email", output_field=CharField()))
    Incentive.objects.filter(study=studies[1]).update(reminder_count=3, last_reminded_at=timezone.now())
    columns = [name for name, _ in RecipientTable.choosable_columns()]
    table_columns_save(user=researcher, table_name="RecipientTable", columns=columns)

    exported = read(client_for(researcher).get(LIST, {"export": "csv", "sort": "participant"}))

    expected = python_export(Incentive.objects.select_related("participant", "study", "budget").order_by("participant__name", "pk"), columns)
    assert exported == expected
    assert len(exported) == len(names) + 1 and len(exported[0]) == len(columns) + 2  # the amount and the payout are two cells each
    first_cells = {row[0] for row in exported}
    assert {"'=1+1", "'\tTabbed", "''=already quoted", "ünïcødé ✓ 日本語 🎉", "crlf\r\ninside", 'a "quoted" word'} <= first_cells
