"""The Recipients table: what it shows and, column for column, what its CSV export holds."""

import functools
from collections import defaultdict

import django_tables2 as tables
from babel.numbers import list_currencies
from django.db.models import Case, F, Func, TextField, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, LPad, Mod
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _, gettext_lazy

from core.csv import safe_text
from core.money import POINTS, decimals, format_money
from core.tables import ConfigurableTable, MoneyColumn

from .models import Incentive

STATUS_LABELS = dict(Incentive.Status.choices)
PAYOUT_LABELS = dict(Incentive.PayoutStatus.choices)
METHOD_LABELS = dict(Incentive.PayoutMethod.choices)


def _when(verbose_name: str, field: str) -> tables.DateTimeColumn:
    return tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=verbose_name, order_by=(field, "pk"), attrs={"td": {"class": "nowrap"}})


class _UtcTimestamp(Func):
    """A timestamp as Python's isoformat(timespec="seconds") writes it in UTC."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
    output_field = TextField()


def _timestamp(field: str):
    return Coalesce(_UtcTimestamp(F(field)), Value(""), output_field=TextField())


@functools.cache
def _currencies_by_decimals() -> dict[int, list[str]]:
    """Currency codes by their number of decimals, but for the usual two."""
    groups = defaultdict(list)
    for code in [*list_currencies(), POINTS]:
        if (places := decimals(code)) != 2:
            groups[places].append(code)
    return dict(groups)


def _plain(places: int):
    """amount_minor as a plain decimal with `places` decimals: 1250 -> "12.50"."""
    if not places:
        return Cast("amount_minor", TextField())
    whole = Cast(F("amount_minor") / Value(10**places), TextField())
    part = LPad(Cast(Mod("amount_minor", Value(10**places)), TextField()), places, Value("0"))
    return Concat(whole, Value("."), part, output_field=TextField())


def _amount():
    """The amount as a plain decimal in its currency's decimals (Money.plain() in SQL)."""
    cases = [When(currency__in=codes, then=_plain(places)) for places, codes in sorted(_currencies_by_decimals().items())]
    return Case(*cases, default=_plain(2), output_field=TextField())


def _label(field: str, labels: dict):
    return Case(*(When(**{field: value}, then=Value(str(label))) for value, label in labels.items()), default=Value(""), output_field=TextField())


def _status_label():
    return _label("status", STATUS_LABELS)


class SelectionColumn(tables.CheckBoxColumn):
    """Row checkboxes that also say whether resend and cancel apply to the row, which takes
    the table (the studies the person manages): attrs callables see only the record."""

    def render(self, value, bound_column, record):
        box = super().render(value, bound_column, record)
        actionable = "1" if bound_column._table.can_act_on(record) else "0"
        return mark_safe(box.replace("<input ", f'<input data-actionable="{actionable}" ', 1))  # noqa: S308 (a fixed flag)


class RecipientTable(ConfigurableTable):
    selection = SelectionColumn(
        accessor="pk",
        attrs={
            "th__input": {"data-select-page": True, "aria-label": gettext_lazy("Select every row on this page")},
            # What the confirm dialogs sum for the ticked rows (static/js/table-selection.js).
            "td__input": {
                "data-select-row": True,
                "aria-label": lambda record: _("Select %(name)s") % {"name": record.participant.name},
                "data-amount-minor": lambda record: record.amount_minor,
                "data-currency": lambda record: record.currency,
                "data-budget": lambda record: record.budget.name,
            },
        },
    )
    participant = tables.Column(accessor="participant__name", verbose_name=gettext_lazy("Participant"), order_by=("participant__name", "pk"))
    email = tables.Column(accessor="participant__email", verbose_name=gettext_lazy("Email"), order_by=("participant__email", "pk"))
    study = tables.Column(accessor="study__name", verbose_name=gettext_lazy("Study"), order_by=("study__name", "pk"))
    budget = tables.Column(accessor="budget__name", verbose_name=gettext_lazy("Budget"), order_by=("budget__name", "pk"))
    amount = MoneyColumn(accessor="amount_minor", verbose_name=gettext_lazy("Amount"), order_by=("amount_minor", "pk"))
    status = tables.Column(verbose_name=gettext_lazy("Status"), order_by=("status", "pk"))
    payout = tables.Column(accessor="payout_status", verbose_name=gettext_lazy("Payout"), orderable=False, empty_values=())
    sent_at = _when(gettext_lazy("Sent"), "sent_at")
    reminders = tables.Column(accessor="reminder_count", verbose_name=gettext_lazy("Reminders"), order_by=("reminder_count", "pk"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    last_reminded_at = _when(gettext_lazy("Last reminded"), "last_reminded_at")
    claimed_at = _when(gettext_lazy("Claimed"), "claimed_at")
    cancelled_at = _when(gettext_lazy("Cancelled"), "cancelled_at")
    actions = tables.Column(accessor="pk", orderable=False, verbose_name="", attrs={"td": {"class": "row-menu-cell"}})

    default_columns = ("participant", "email", "study", "amount", "status", "sent_at", "reminders")
    # Studies whose rows get a row menu; None: every row (owners and admins manage all).
    managed_study_ids: set[int] | None = None

    # Column -> the CSV columns it exports: (header, the cell as an SQL expression). Free text
    # goes through the formula guard; the amount becomes two cells, a plain decimal and its
    # currency code. PostgreSQL writes the rows itself (core.csv.copy_csv_response).
    EXPORTS = {
        "participant": [(gettext_lazy("Participant"), lambda: safe_text(F("participant__name")))],
        "email": [(gettext_lazy("Email"), lambda: safe_text(F("participant__email")))],
        "study": [(gettext_lazy("Study"), lambda: safe_text(F("study__name")))],
        "budget": [(gettext_lazy("Budget"), lambda: safe_text(F("budget__name")))],
        "amount": [(gettext_lazy("Amount"), _amount), (gettext_lazy("Currency"), lambda: safe_text(F("currency")))],
        "status": [(gettext_lazy("Status"), _status_label)],
        "payout": [(gettext_lazy("Payout"), lambda: _label("payout_status", PAYOUT_LABELS)),
                   (gettext_lazy("Payout method"), lambda: _label("payout_method", METHOD_LABELS))],
        "sent_at": [(gettext_lazy("Sent"), lambda: _timestamp("sent_at"))],
        "reminders": [(gettext_lazy("Reminders"), lambda: F("reminder_count"))],
        "last_reminded_at": [(gettext_lazy("Last reminded"), lambda: _timestamp("last_reminded_at"))],
        "claimed_at": [(gettext_lazy("Claimed"), lambda: _timestamp("claimed_at"))],
        "cancelled_at": [(gettext_lazy("Cancelled"), lambda: _timestamp("cancelled_at"))],
    }

    class Meta:
        model = Incentive
        fields = ()
        order_by = "-sent_at"
        empty_text = gettext_lazy("No incentives match these filters.")
        attrs = {"class": "striped recipients", "id": "recipient-table"}
        template_name = "incentives/_recipient_table.html"

    # Whether the person may act at all (viewers never do; the view sets it).
    can_write = True

    def can_act_on(self, record) -> bool:
        """An unclaimed incentive of a study the person manages: resend and cancel apply."""
        if not self.can_write or record.status != Incentive.Status.UNCLAIMED:
            return False
        return self.managed_study_ids is None or record.study_id in self.managed_study_ids

    def render_actions(self, record):
        """The row menu (…) of an unclaimed incentive: Resend and Cancel, as buttons of the
        table's bulk form, each asking first in the confirm dialog. Built here rather than by a
        template per row: it is every row."""
        if not self.can_act_on(record):
            return ""
        name, amount, budget = record.participant.name, format_money(record.amount_minor, record.currency), record.budget.name
        return format_html(
            '<details class="dropdown row-menu"><summary aria-label="{}">…</summary><ul dir="rtl">'
            '<li><button type="submit" class="link" formaction="{}" hx-confirm="{}" data-confirm-yes="{}" data-confirm-no="{}">{}</button></li>'
            '<li><button type="submit" class="link" formaction="{}" hx-confirm="{}" data-confirm-yes="{}" data-confirm-no="{}">{}</button></li></ul></details>',
            _("Actions for %(name)s") % {"name": name},
            reverse("recipients:resend", args=[record.pk]),
            _("Send %(name)s a reminder email for the %(amount)s incentive from %(budget)s, with the same claim link?")
            % {"name": name, "amount": amount, "budget": budget},
            _("Send the reminder"), _("Don’t send"), _("Resend incentive"),
            reverse("recipients:cancel", args=[record.pk]),
            _("Cancel the %(amount)s incentive for %(name)s? %(amount)s returns to %(budget)s at once.")
            % {"name": name, "amount": amount, "budget": budget},
            _("Cancel the incentive"), _("Keep it"), _("Cancel incentive"),
        )

    # The status in words, a shape beside it and a colour: never colour alone.
    STATUS_ICONS = {"awaiting_approval": "◷", "unclaimed": "○", "claimed": "✓", "cancelled": "✕", "expired": "⌛"}

    def render_participant(self, value, record):
        """The name links to the incentive's page, with its emails."""
        return format_html('<a href="{}">{}</a>', reverse("recipients:detail", args=[record.pk]), value)

    def render_status(self, value, record):
        badge = format_html(
            '<span class="badge badge-{}"><span aria-hidden="true">{}</span> {}</span>',
            record.status, self.STATUS_ICONS.get(record.status, ""), record.get_status_display(),
        )
        if getattr(record, "email_failure", ""):  # shown until an email of it gets through
            failure = Truncator(record.email_failure).chars(100)
            badge += format_html('<br><small class="error">{}</small>', _("Email not delivered: %(error)s") % {"error": failure})
        return badge

    def render_payout(self, value, record):
        """Where a claimed incentive's money is, and where it goes (masked)."""
        if not value:
            return "—"
        badge = format_html('<span class="badge badge-payout-{}">{}</span>', value, record.get_payout_status_display())
        return format_html('{}<br><small class="muted">{}</small>', badge, record.payout_destination)

    def export_columns(self) -> list[tuple[str, object]]:
        """The CSV columns of the visible table columns, in table order."""
        return [spec for column in self.columns if column.name in self.EXPORTS for spec in self.EXPORTS[column.name]]

    def export_query(self, queryset):
        """(header, a values_list of the cells): the rows of `queryset`, its order kept."""
        columns = self.export_columns()
        cells = {f"export_{n}": expression() for n, (_, expression) in enumerate(columns)}
        return [str(header) for header, _ in columns], queryset.annotate(**cells).values_list(*cells)
