import django_tables2 as tables
from django_tables2.config import RequestConfig
from django_tables2.paginators import LazyPaginator

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

    def show_chosen(self, user) -> None:
        chosen = set(self.chosen_columns(user))
        for name, _ in self.choosable_columns():
            if name in chosen:
                self.columns.show(name)
            else:
                self.columns.hide(name)


def configure_table(table, request, *, per_page: int = 50):
    """Chosen columns, ordering and a COUNT-free page from the request's query string."""
    if isinstance(table, ConfigurableTable):
        table.show_chosen(request.user)
    RequestConfig(request, paginate={"per_page": per_page, "paginator_class": LazyPaginator}).configure(table)
    return table
