"""The Recipients table: what it shows and, column for column, what its CSV export holds."""

import functools

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from core.money import decimals, format_money
from core.tables import ConfigurableTable, MoneyColumn

from .models import Incentive

STATUS_LABELS = dict(Incentive.Status.choices)


def _when(verbose_name: str, field: str) -> tables.DateTimeColumn:
    return tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=verbose_name, order_by=(field, "pk"), attrs={"td": {"class": "nowrap"}})


_decimals = functools.cache(decimals)


def plain_amount(amount_minor: int, currency: str) -> str:
    """1250 USD -> "12.50", as Money.plain() but without Money's checks on every exported row."""
    places = _decimals(currency)
    if not places:
        return str(amount_minor)
    whole, part = divmod(amount_minor, 10**places)
    return f"{whole}.{part:0{places}d}"


def _timestamp(value):
    return value.isoformat(timespec="seconds") if value else ""


class RecipientTable(ConfigurableTable):
    selection = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"data-select-page": True, "aria-label": "Select every row on this page"},
            "td__input": {"data-select-row": True, "aria-label": lambda record: f"Select {record.participant.name}"},
        },
    )
    participant = tables.Column(accessor="participant__name", verbose_name="Participant", order_by=("participant__name", "pk"))
    email = tables.Column(accessor="participant__email", verbose_name="Email", order_by=("participant__email", "pk"))
    study = tables.Column(accessor="study__name", verbose_name="Study", order_by=("study__name", "pk"))
    budget = tables.Column(accessor="budget__name", verbose_name="Budget", order_by=("budget__name", "pk"))
    amount = MoneyColumn(accessor="amount_minor", verbose_name="Amount", order_by=("amount_minor", "pk"))
    status = tables.Column(order_by=("status", "pk"))
    sent_at = _when("Sent", "sent_at")
    reminders = tables.Column(accessor="reminder_count", verbose_name="Reminders", order_by=("reminder_count", "pk"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    last_reminded_at = _when("Last reminded", "last_reminded_at")
    claimed_at = _when("Claimed", "claimed_at")
    cancelled_at = _when("Cancelled", "cancelled_at")
    actions = tables.Column(accessor="pk", orderable=False, verbose_name="", attrs={"td": {"class": "row-menu-cell"}})

    default_columns = ("participant", "email", "study", "amount", "status", "sent_at", "reminders")
    # Studies whose rows get a row menu; None: every row (owners and admins manage all).
    managed_study_ids: set[int] | None = None

    # Column -> the CSV columns it exports: (header, the values_list field, cell from value).
    # The amount becomes two cells, a plain decimal and its currency code.
    EXPORTS = {
        "participant": [("Participant", "participant__name", None)],
        "email": [("Email", "participant__email", None)],
        "study": [("Study", "study__name", None)],
        "budget": [("Budget", "budget__name", None)],
        "amount": [("Amount", "amount_minor", "amount"), ("Currency", "currency", None)],
        "status": [("Status", "status", STATUS_LABELS.get)],
        "sent_at": [("Sent", "sent_at", _timestamp)],
        "reminders": [("Reminders", "reminder_count", None)],
        "last_reminded_at": [("Last reminded", "last_reminded_at", _timestamp)],
        "claimed_at": [("Claimed", "claimed_at", _timestamp)],
        "cancelled_at": [("Cancelled", "cancelled_at", _timestamp)],
    }

    class Meta:
        model = Incentive
        fields = ()
        order_by = "-sent_at"
        empty_text = "No incentives match these filters."
        attrs = {"class": "striped recipients", "id": "recipient-table"}

    def render_actions(self, record):
        """The row menu (…) of an unclaimed incentive: Resend and Cancel, as buttons of the
        table's bulk form. Built here rather than by a template per row: it is every row."""
        if record.status != Incentive.Status.UNCLAIMED:
            return ""
        if self.managed_study_ids is not None and record.study_id not in self.managed_study_ids:
            return ""
        name = record.participant.name
        question = f"Cancel the {format_money(record.amount_minor, record.currency)} incentive for {name}? The money returns to {record.budget.name}."
        return format_html(
            '<details class="dropdown row-menu"><summary aria-label="Actions for {}">…</summary><ul dir="rtl">'
            '<li><button type="submit" class="link" formaction="{}">Resend incentive</button></li>'
            '<li><button type="submit" class="link" formaction="{}" data-confirm="{}">Cancel incentive</button></li></ul></details>',
            name, reverse("recipients:resend", args=[record.pk]), reverse("recipients:cancel", args=[record.pk]), question,
        )

    def render_status(self, value, record):
        badge = format_html('<span class="badge badge-{}">{}</span>', value, record.get_status_display())
        if getattr(record, "email_failure", ""):  # shown until an email of it gets through
            failure = Truncator(record.email_failure).chars(100)
            badge += format_html('<br><small class="error">Email not delivered: {}</small>', failure)
        return badge

    def export_columns(self) -> list[tuple[str, str, object]]:
        """The CSV columns of the visible table columns, in table order."""
        return [spec for column in self.columns if column.name in self.EXPORTS for spec in self.EXPORTS[column.name]]

    def export_rows(self, queryset, *, chunk_size: int = 2000):
        """(header, rows): rows are streamed from the database, `chunk_size` at a time."""
        columns = self.export_columns()
        # The row's currency is read last, for the amount cell, whether or not it is shown.
        fields = [field for _, field, _ in columns] + ["currency"]

        def rows():
            for values in queryset.values_list(*fields).iterator(chunk_size=chunk_size):
                yield [
                    plain_amount(value, values[-1]) if cell == "amount" else cell(value) if cell else value
                    for (_, _, cell), value in zip(columns, values)
                ]

        return [header for header, _, _ in columns], rows()
