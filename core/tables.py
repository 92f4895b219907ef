import django_tables2 as tables
from django.core.paginator import EmptyPage, Paginator
from django.utils.translation import gettext
from django_tables2.config import RequestConfig
from django_tables2.paginators import LazyPaginator

from . import keyset
from .models import TablePreference
from .money import format_money

# Configurable tables by name, for the view that saves a person's column choice.
CONFIGURABLE_TABLES: dict[str, type["ConfigurableTable"]] = {}


class MoneyColumn(tables.Column):
    """Minor units shown in the row's currency (the record's `currency` attribute)."""

    attrs = {"td": {"class": "num"}, "th": {"class": "num"}}

    def render(self, value, record):
        return format_money(value, record.currency)

    def value(self, value, record):
        return format_money(value, record.currency)


class ConfigurableTable(tables.Table):
    """A table whose visible columns each person chooses and keeps (NetBox-style).

    Subclasses set `default_columns`; columns in `fixed_columns` (selection boxes, row
    menus) are always shown and never offered in the chooser.
    """

    default_columns: tuple[str, ...] = ()
    fixed_columns: tuple[str, ...] = ("selection", "actions")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        CONFIGURABLE_TABLES[cls.__name__] = cls

    @classmethod
    def choosable_columns(cls) -> list[tuple[str, str]]:
        return [
            (name, column.verbose_name or name.replace("_", " ").capitalize())
            for name, column in cls.base_columns.items()
            if name not in cls.fixed_columns
        ]

    def chosen_columns(self, user) -> list[str]:
        saved = TablePreference.objects.filter(user=user, table=self.table_name).values_list("columns", flat=True).first()
        return saved or list(self.default_columns) or [name for name, _ in self.choosable_columns()]

    @property
    def table_name(self) -> str:
        return type(self).__name__

    @property
    def column_choices(self) -> list[tuple[str, str, bool]]:
        """(name, label, shown) for the column chooser."""
        return [(name, label, self.columns[name].visible) for name, label in self.choosable_columns()]

    @property
    def shown(self) -> str:
        """What the page shows, without counting every match: "3", or "26–50" and more."""
        page = getattr(self, "page", None)
        if page is None:
            return ""
        rows = len(page.object_list)
        first = page.first_row if isinstance(page, keyset.KeysetPage) else (page.number - 1) * self.paginator.per_page + 1
        if first == 1 and not page.has_next():
            return str(rows)
        return f"{first}–{first + rows - 1}" if rows else gettext("none")

    def show_chosen(self, user) -> None:
        chosen = set(self.chosen_columns(user))
        for name, _ in self.choosable_columns():
            if name in chosen:
                self.columns.show(name)
            else:
                self.columns.hide(name)


# Page numbers beyond this (`?page=999999999999999999` made PostgreSQL's OFFSET overflow: a
# 500 "bigint out of range") show the first or last page, as any page past the end does.
MAX_PAGE = 100_000
MAX_PER_PAGE = 100


def _bounded(value, default: int, highest: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:  # not a number, or one of thousands of digits
        return default
    return min(max(number, 1), highest)


def paginate_table(table, request, *, per_page: int, paginator_class=Paginator):
    """Ordering from the request and its page: a page number or size out of range is clamped
    (to 1..MAX_PAGE, 1..MAX_PER_PAGE), one that is no number means the first page."""
    RequestConfig(request, paginate=False).configure(table)
    page = _bounded(request.GET.get(table.prefixed_page_field), 1, MAX_PAGE)
    size = _bounded(request.GET.get(table.prefixed_per_page_field), per_page, MAX_PER_PAGE)
    try:
        table.paginate(paginator_class=paginator_class, per_page=size, page=page)
    except EmptyPage:  # past the end: the last page (the first, when the paginator doesn't count)
        table.page = table.paginator.page(table.paginator.num_pages or 1)
    return table


def configure_table(table, request, *, per_page: int = 50):
    """Chosen columns, ordering and a COUNT-free page from the request's query string."""
    if isinstance(table, ConfigurableTable):
        table.show_chosen(request.user)
    return paginate_table(table, request, per_page=per_page, paginator_class=LazyPaginator)


def configure_keyset_table(table, request, *, per_page: int = 50):
    """configure_table, paging by cursor (core/keyset.py): `?after=` / `?before=` a row's key,
    `?page=N` for the first few pages; an ordering that is not (column, pk) pages by number."""
    if isinstance(table, ConfigurableTable):
        table.show_chosen(request.user)
    RequestConfig(request, paginate=False).configure(table)
    size = _bounded(request.GET.get(table.prefixed_per_page_field), per_page, MAX_PER_PAGE)
    page = _bounded(request.GET.get(table.prefixed_page_field), 1, keyset.SHALLOW_PAGES)
    cursors = {name: request.GET.get(f"{table.prefix}{name}", "") for name in ("after", "before")}
    if not keyset.paginate(table, table.data.data, per_page=size, page=page, **cursors):
        paginate_table(table, request, per_page=per_page, paginator_class=LazyPaginator)
    return table
