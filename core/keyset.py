"""Keyset pagination for a table ordered by (one column, id): a page starts after (or ends
before) the key of a row, never at an OFFSET, so page 500 costs what page 1 costs.

The cursor in the link (`?after=` or `?before=`) is the key of the row it continues from, that
row's position (for "Rows 501–550" only) and the ordering it belongs to; a cursor that doesn't
decode, or of another ordering (a sort link keeps the query string), means the first page. NULL sorts as PostgreSQL sorts it by default, as the largest value (last ascending,
first descending), so the rows after a key are one or two index ranges, read in order.
"""

import base64
import binascii
import datetime
import functools
import json
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q
from django_tables2.rows import BoundRows

# Numbered pages (`?page=N`) stay for the first few, OFFSET at most (SHALLOW_PAGES - 1) pages;
# a larger number shows the last of them (the pager itself links by cursor).
SHALLOW_PAGES = 10


@dataclass
class KeysetPage:
    """What the pager needs, shaped like Django's Page where templates read it."""

    object_list: object
    first_row: int  # the position of the page's first row, 1-based
    next_cursor: str = ""
    previous_cursor: str = ""

    def has_next(self) -> bool:
        return bool(self.next_cursor)

    def has_previous(self) -> bool:
        return bool(self.previous_cursor)

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()


def encode(value, pk: int, position: int, ordering) -> str:
    if isinstance(value, datetime.datetime):
        value = value.isoformat()
    return base64.urlsafe_b64encode(json.dumps([value, pk, position, ",".join(ordering)]).encode()).decode().rstrip("=")


def decode(token: str, key_field, ordering) -> tuple | None:
    """(value, pk, position) of a cursor of this ordering, or None when it isn't one."""
    try:
        value, pk, position, order = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(pk, int) or not isinstance(position, int) or isinstance(pk, bool) or order != ",".join(ordering):
            return None
        value = None if value is None else key_field.to_python(value)
    except (ValueError, TypeError, AttributeError, binascii.Error, ValidationError):
        return None
    return value, pk, max(position, 1)


def _model_field(model, path: str):
    """The field at the end of a lookup path ("participant__name")."""
    for part in path.split("__"):
        found = model._meta.pk if part == "pk" else model._meta.get_field(part)
        model = found.related_model
    return found


def key_of(ordering, model):
    """(path, descending, field) of an ordering (column, pk) both one way, or None."""
    if len(ordering) != 2 or not all(isinstance(term, str) for term in ordering):
        return None
    (first, second), desc = [term.lstrip("-") for term in ordering], ordering[0].startswith("-")
    if second not in ("pk", "id") or ordering[1].startswith("-") != desc:
        return None
    try:
        return first, desc, _model_field(model, first)
    except FieldDoesNotExist:
        return None


def _after(path: str, desc: bool, nullable: bool, value, pk) -> list[Q]:
    """The rows after (value, pk) in the order (path, pk), as ranges in that order."""
    later, ties = ("lt", "lt") if desc else ("gt", "gt")
    pk_after = Q(**{f"pk__{ties}": pk})
    if value is None:  # among the NULLs, ordered by pk; descending, every value follows
        return [Q(**{f"{path}__isnull": True}) & pk_after] + ([Q(**{f"{path}__isnull": False})] if desc else [])
    # The redundant `>=` gives PostgreSQL an index range; the OR only sorts out the ties.
    within = Q(**{f"{path}__{later}e": value}) & (Q(**{f"{path}__{later}": value}) | pk_after)
    return [within] + ([Q(**{f"{path}__isnull": True})] if nullable and not desc else [])


def _read(queryset, ranges: list[Q], limit: int) -> list:
    rows = []
    for condition in ranges:
        rows += list(queryset.filter(condition)[: limit - len(rows)])
        if len(rows) >= limit:
            break
    return rows


def paginate(table, queryset, *, per_page: int, after: str = "", before: str = "", page: int = 1) -> bool:
    """Give `table` a KeysetPage of `queryset` (ordered by the table); False when its ordering
    is not (column, pk) and the caller should paginate another way."""
    ordering = queryset.query.order_by
    key = key_of(ordering, queryset.model)
    if key is None:
        return False
    path, desc, key_field = key
    value_of = functools.partial(functools.reduce, lambda obj, name: getattr(obj, name) if obj is not None else None, path.split("__"))
    cursor = decode(after or before, key_field, ordering) if (after or before) else None
    if cursor and before:
        value, pk, position = cursor
        # Backwards: the rows after the cursor in the reverse order, read back to front.
        rows = _read(queryset.reverse(), _after(path, not desc, key_field.null, value, pk), per_page + 1)[::-1]
        if len(rows) < per_page:  # fewer than a page before it: show the first page
            return paginate(table, queryset, per_page=per_page)
        rows, first = rows[-per_page:], max(position - per_page, 2) if len(rows) > per_page else 1
        more_after = True
    else:
        if cursor:
            value, pk, position = cursor
            rows, first = _read(queryset, _after(path, desc, key_field.null, value, pk), per_page + 1), position + 1
        else:
            offset = (min(max(page, 1), SHALLOW_PAGES) - 1) * per_page
            rows, first = list(queryset[offset : offset + per_page + 1]), offset + 1
        more_after, rows = len(rows) > per_page, rows[:per_page]
    next_cursor = encode(value_of(rows[-1]), rows[-1].pk, first + len(rows) - 1, ordering) if more_after and rows else ""
    previous_cursor = encode(value_of(rows[0]), rows[0].pk, first, ordering) if first > 1 and rows else ""
    table.page = KeysetPage(BoundRows(rows, table), first, next_cursor, previous_cursor)
    return True
