"""Bulk redemption from a CSV: a dry run that lists each row's problem, then an apply that is
atomic per row and checks every row again (balances may have moved since the preview).

Columns: `account_external_id` or `reward_external_id` (one of them), `amount` (decimal, e.g.
12.50), `note` (optional) and `currency` (optional; defaults to the reward's currency, or to
the account's only currency).

The file may be UTF-8 (with or without a byte-order mark) or Windows-1252, separated by
commas, semicolons (French Excel's default) or tabs: the header line says which. A file
separated by semicolons writes decimal commas ("12,50"); any other reads only decimal points.
A row with more cells than the header names is refused, not cut short. A row identical to an
earlier one ("same as line 3") is applied only when the person applying the file ticks it.

A file is applied once: each row claims the key `bulk:<SHA-256 of the file>:<line>`, unique per
organization, in the transaction that redeems it. Uploading the same file again previews its
rows as already applied (when, by whom) and applies none of them; a file that differs in any
cell (a new note is enough) is a new file. See docs/api.md, "Bulk redemption".
"""

import csv
import datetime
import hashlib
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, ngettext

from approvals.models import Approval
from budgets.models import LedgerAccount, LedgerTransaction
from budgets.services import InsufficientFunds, ledger_post
from approvals.services import approval_request, requires_approval
from core.errors import DomainError, InvalidInput
from core.models import IdempotencyRecord
from core.money import Money, MoneyError, require_positive

from ..models import Advocate, Reward, RewardAccount, RewardBalance, RewardProgram
from . import BULK_KEY_PREFIX, Actor, RewardInvalid, account_redeem, reward_check, reward_create, reward_redeem

MAX_ROWS = 5_000
DELIMITERS = (",", ";", "\t")
# In a semicolon file an amount may use a decimal comma and a point, space or no-break space
# between thousands: "12,50", "1.234,50", "1 234,50".
DECIMAL_COMMA = re.compile(r"-?(?:[0-9]+|[0-9]{1,3}(?:[. \u00a0\u202f][0-9]{3})+)(?:,[0-9]*)?")
RESULT_HEADER = ["line", "account_external_id", "reward_external_id", "amount", "currency", "result", "message"]


class BulkFileError(InvalidInput):
    """The file (or one of its rows) can't be read."""

    code = "invalid_file"


@dataclass
class BulkRow:
    line: int
    account_id: str
    reward_id: str
    amount_text: str
    currency: str
    note: str
    key: str = ""
    target: Reward | RewardAccount | None = None
    amount: Money | None = None
    error: str = ""
    applied_at: datetime.datetime | None = None
    applied_by: str = ""
    result: str = ""
    duplicate_of: int | None = None  # the earlier line with the same cells
    confirmed: bool = False  # a duplicate the person applying the file ticked
    draws: list = field(default_factory=list)  # (reward, amount_minor): what the row would redeem
    redeemed: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error and self.applied_at is None and (self.duplicate_of is None or self.confirmed)

    @property
    def held_as_duplicate(self) -> bool:
        """A duplicate nobody ticked: it is skipped."""
        return self.duplicate_of is not None and not self.confirmed and not self.error and self.applied_at is None

    @property
    def account_name(self) -> str:
        if isinstance(self.target, Reward):
            return self.target.account.name
        return self.target.name if self.target is not None else ""

    @property
    def message(self) -> str:
        if self.applied_at is not None:
            when = timezone.localtime(self.applied_at)
            return _("Applied on %(when)s by %(who)s, from an earlier upload of this same file.") % {
                "when": f"{when:%Y-%m-%d %H:%M %Z}", "who": self.applied_by,
            }
        if self.held_as_duplicate:
            return _("Same as line %(line)s; not applied unless ticked.") % {"line": self.duplicate_of}
        return self.error

    def as_result(self) -> list:
        amount = self.amount.plain() if self.amount else self.amount_text
        currency = self.amount.currency if self.amount else self.currency
        if self.result:
            status = self.result
        elif self.applied_at:
            status = "already applied"
        elif self.error:
            status = "error"
        elif self.held_as_duplicate:
            status = "skipped duplicate"
        else:
            status = "ok"
        return [self.line, self.account_id, self.reward_id, amount, currency, status, self.message]


def decode_upload(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark is dropped) or else Windows-1252, what Excel
    writes for "CSV" on Western Windows. Bytes neither can read are refused."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise BulkFileError(
            _("The file is neither UTF-8 nor Windows-1252 text; export it from your spreadsheet as “CSV UTF-8”.")
        ) from None


def delimiter_of(text: str) -> str:
    """The separator the header line uses most: comma, semicolon or tab (comma if none)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def file_digest(text: str) -> str:
    """SHA-256 of what the file says: its cells, trimmed as they are read, whatever the line
    endings or quoting (a browser posts the previewed text back with CRLF; spreadsheets differ)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter_of(text))
    cells = [[cell.strip() for cell in row] for row in reader if row]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


@dataclass
class FileLine:
    """One line of an uploaded file: its cells by column name, or why it can't be read, and the
    earlier line it repeats cell for cell."""

    number: int
    values: dict
    error: str = ""
    duplicate_of: int | None = None
    key: str = ""


def read_lines(text: str, *, check_header) -> list[FileLine]:
    """The file's lines under its header (`check_header(names)` refuses a wrong one), each keyed
    `bulk:<SHA-256 of the file>:<line>`; blank lines are skipped."""
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter_of(text))
    try:
        return _lines(reader, text, check_header)
    except csv.Error as error:  # e.g. a cell over csv.field_size_limit() (131,072 characters)
        if "field larger than field limit" in str(error):
            raise BulkFileError(
                _("Line %(line)s: a cell is longer than %(limit)s characters; this is no file of rows to apply.")
                % {"line": reader.line_num, "limit": f"{csv.field_size_limit():,}"}
            ) from None
        raise BulkFileError(_("Line %(line)s can't be read as CSV: %(error)s.") % {"line": reader.line_num, "error": error}) from None


def _lines(reader: csv.DictReader, text: str, check_header) -> list[FileLine]:
    names = [(name or "").strip().lower() for name in reader.fieldnames or []]
    check_header(set(names))
    lines, first_of = [], {}
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise BulkFileError(_("The file has more than %(max)s rows; split it into several uploads.") % {"max": MAX_ROWS})
        rest = raw.pop(None, None) or []  # cells beyond the header's columns
        extra = [cell for cell in rest if cell.strip()]
        values = {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items() if isinstance(value, str)}
        if not any(values.values()) and not extra:
            continue
        line = FileLine(number=number, values=values)
        if extra:
            line.error = _("This line has %(cells)s cells but the header names %(columns)s columns; nothing of it is read.") % {
                "cells": len(names) + len(rest), "columns": len(names),
            }
        else:
            earlier = first_of.setdefault(tuple(values.get(name, "") for name in names), number)
            line.duplicate_of = earlier if earlier != number else None
        lines.append(line)
    if not lines:
        raise BulkFileError(_("The file has no rows under its header line."))
    digest = file_digest(text)
    for line in lines:
        line.key = f"{BULK_KEY_PREFIX}{digest}:{line.number}"
    return lines


def _redemption_header(names: set) -> None:
    if "amount" not in names or not names & {"account_external_id", "reward_external_id"}:
        raise BulkFileError(_("The first line must name the columns: account_external_id or reward_external_id, amount, note."))


def _read(text: str) -> list[BulkRow]:
    return [
        BulkRow(
            line=line.number,
            account_id=line.values.get("account_external_id", ""),
            reward_id=line.values.get("reward_external_id", ""),
            amount_text=line.values.get("amount", ""),
            currency=line.values.get("currency", "").upper(),
            note=line.values.get("note", "")[:500],
            key=line.key,
            error=line.error,
            duplicate_of=line.duplicate_of,
        )
        for line in read_lines(text, check_header=_redemption_header)
    ]


def _mark_applied(organization, rows) -> None:
    """Mark the rows an earlier upload of the same file applied, with when and by whom."""
    by_key = {row.key: row for row in rows}
    for record in IdempotencyRecord.objects.for_org(organization).filter(key__in=by_key):
        row = by_key[record.key]
        row.applied_at, row.applied_by = record.created_at, (record.response or {}).get("by", "")


def _targets(organization, rows):
    """Every reward and account the rows name, and the available rewards of those accounts
    (what account rows draw from), in three queries."""
    # External ids are unique per organization (conditional constraints, hence no in_bulk).
    rewards = {
        reward.external_id: reward
        for reward in Reward.objects.for_org(organization)
        .filter(external_id__in={row.reward_id for row in rows if row.reward_id})
        .select_related("account")
    }
    accounts = {
        account.external_id: account
        for account in RewardAccount.objects.for_org(organization).filter(external_id__in={row.account_id for row in rows if row.account_id})
    }
    currencies = defaultdict(list)
    for account_id, currency in RewardBalance.objects.filter(account__in=accounts.values()).values_list("account_id", "currency"):
        currencies[account_id].append(currency)
    pools = defaultdict(list)  # (account id, currency) -> available rewards, oldest event first (as account_redeem spends)
    for reward in (
        Reward.objects.for_org(organization)
        .filter(account__in=accounts.values(), status=Reward.Status.AVAILABLE)
        .order_by("event_at", "pk")
    ):
        pools[reward.account_id, reward.currency].append(reward)
    return rewards, accounts, currencies, pools


def _amount(row: BulkRow, currency: str, *, decimal_comma: bool) -> Money:
    text = row.amount_text
    if decimal_comma and DECIMAL_COMMA.fullmatch(text):
        text = re.sub(r"[. \u00a0\u202f]", "", text).replace(",", ".")
    try:
        return require_positive(Money.parse(text, currency))
    except MoneyError as error:
        raise BulkFileError(_("Amount “%(amount)s”: %(error)s") % {"amount": row.amount_text, "error": error}) from None


def _check(row, rewards, accounts, currencies, *, decimal_comma):
    """Find the row's target and amount, or set its error."""
    if bool(row.account_id) == bool(row.reward_id):
        raise BulkFileError(_("Give either an account_external_id or a reward_external_id."))
    if row.reward_id:
        row.target = rewards.get(row.reward_id)
        if row.target is None:
            raise BulkFileError(_("No reward has the external id “%(id)s”.") % {"id": row.reward_id})
        currency = row.target.currency
        if row.currency and row.currency != currency:
            raise BulkFileError(_("This reward is in %(currency)s, not %(asked)s.") % {"currency": currency, "asked": row.currency})
    else:
        row.target = accounts.get(row.account_id)
        if row.target is None:
            raise BulkFileError(_("No account has the external id “%(id)s”.") % {"id": row.account_id})
        held = currencies[row.target.pk]
        currency = row.currency or (held[0] if len(held) == 1 else "")
        if not currency:
            raise BulkFileError(_("This account has rewards in several currencies; add a currency column."))
    row.amount = _amount(row, currency, decimal_comma=decimal_comma)


def _draw(row: BulkRow, pools, left) -> None:
    """Which rewards the row would redeem, given what earlier rows used (`left`), or its error."""
    wanted = row.amount.amount_minor
    if isinstance(row.target, Reward):
        reward = row.target
        if reward.status != Reward.Status.AVAILABLE:
            raise BulkFileError(_("This reward is %(status)s, not available.") % {"status": reward.get_status_display().lower()})
        have = left.setdefault(reward.pk, reward.left_minor)
        if wanted > have:
            raise BulkFileError(_("Over balance: this reward has %(left)s available.") % {"left": reward.money(have)})
        row.draws = [(reward, wanted)]
    else:
        pool = pools[row.target.pk, row.amount.currency]
        have = sum(left.setdefault(reward.pk, reward.left_minor) for reward in pool)
        if wanted > have:
            raise BulkFileError(
                _("Over balance: %(account)s has %(left)s available.") % {"account": row.target, "left": Money(have, row.amount.currency)}
            )
        row.draws = []
        for reward in pool:
            take = min(wanted, left[reward.pk])
            if take:
                row.draws.append((reward, take))
                wanted -= take
            if not wanted:
                break
    for reward, take in row.draws:
        left[reward.pk] -= take


def bulk_preview(*, organization, text: str, confirmed_duplicates=frozenset()) -> list[BulkRow]:
    """The dry run: each row with its target and amount and the rewards it draws from, or the
    reason it would fail, or when an earlier upload of the same file applied it. Duplicates are
    flagged and skipped unless their line is in `confirmed_duplicates`.

    Rows are checked in order against what earlier rows would have used up.
    """
    rows = _read(text)
    decimal_comma = delimiter_of(text) == ";"
    _mark_applied(organization, rows)
    rewards, accounts, currencies, pools = _targets(organization, rows)
    left = {}  # reward id -> what is left of it after the rows so far
    for row in rows:
        row.confirmed = row.duplicate_of is not None and row.line in confirmed_duplicates
        if row.applied_at is not None or row.error:
            continue
        try:
            _check(row, rewards, accounts, currencies, decimal_comma=decimal_comma)
            if not row.held_as_duplicate:
                _draw(row, pools, left)
        except BulkFileError as error:
            row.error = str(error)
    return rows


def bulk_summary(rows: list[BulkRow]) -> dict:
    """Counts for the page: rows that would be applied, applied already, duplicates held, errors."""
    return {
        "good": sum(row.ok for row in rows),
        "done": sum(row.applied_at is not None for row in rows),
        "duplicates": sum(row.held_as_duplicate for row in rows),
        "errors": sum(bool(row.error) for row in rows),
    }


def _claim(organization, row, actor) -> bool:
    """Claim the row's key; False (and the row marked) when the file's row was applied already."""
    claimed = IdempotencyRecord.objects.claim(
        organization=organization, key=row.key, fingerprint="", status_code=200, response={"by": actor.label}
    )
    if claimed is None:  # a concurrent upload of the same file applied it since the preview
        _mark_applied(organization, [row])
    return claimed is not None


AWAITING = "awaiting approval"


def _account_of(row) -> int:
    if isinstance(row, RewardRow):
        return row.account.pk
    return row.target.account_id if isinstance(row.target, Reward) else row.target.pk


@transaction.atomic
def _approval_needed(organization, text: str, rows: list, user, confirmed_duplicates=frozenset(), *, kind=Approval.Kind.REWARDS_BULK) -> Approval | None:
    """Above the threshold (the file's total per currency, or what one account gets) the file
    waits: its good rows are marked awaiting approval and the Approval is returned; each row is
    checked again when the file is applied on approval, as at any apply. The same file can't
    wait twice. A redemption file reserves what it takes from each account's available balance
    at once; a creation file reserves nothing (its rewards are funded from the external account,
    which has no limit to overdraw)."""
    good = [row for row in rows if row.ok]
    totals, per_account = defaultdict(int), defaultdict(int)
    for row in good:
        totals[row.amount.currency] += row.amount.amount_minor
        per_account[_account_of(row), row.amount.currency] += row.amount.amount_minor
    biggest = {currency: max(m for (_, c), m in per_account.items() if c == currency) for currency in totals}
    if not any(
        requires_approval(organization=organization, total=Money(total, currency), per_participant=Money(biggest[currency], currency))
        for currency, total in totals.items()
    ):
        return None
    reference = f"rewards-bulk:{file_digest(text)}"
    if Approval.objects.for_org(organization).pending().for_reference(reference).exists():
        raise BulkFileError(_("This file is awaiting approval already; it runs once an owner or admin approves it."), "awaiting_approval")
    currency, total = max(totals.items(), key=lambda item: item[1])
    amounts = " + ".join(str(Money(minor, code)) for code, minor in sorted(totals.items()))
    creating = kind == Approval.Kind.REWARDS_BULK_CREATE
    shares, reservation = ([], None) if creating else _reserve_file(organization, per_account, user, reference)
    approval = approval_request(
        organization=organization, kind=kind, requested_by=user,
        total=Money(total, currency), per_participant=Money(biggest[currency], currency),
        summary=(
            ngettext("Bulk reward file: %(n)s row, %(amounts)s", "Bulk reward file: %(n)s rows, %(amounts)s", len(good))
            if creating else
            ngettext("Bulk redemption file: %(n)s row, %(amounts)s", "Bulk redemption file: %(n)s rows, %(amounts)s", len(good))
        ) % {"n": len(good), "amounts": amounts},
        reference=reference, link=reverse("rewards:bulk_rewards" if creating else "rewards:bulk_redeem"),
        payload={"text": text, "confirmed_duplicates": sorted(confirmed_duplicates), "reserved": shares},
        reservation=reservation,
    )
    for row in good:
        row.result = AWAITING
    return approval


def _reserved_balances(organization, keys) -> dict:
    """(account id, currency) -> the account's balance in it, locked, with its reserved ledger
    account (made now, in one statement, for balances that have none yet). Every key has a
    balance: a row passed its checks only against rewards in it."""
    account_ids = {account_id for account_id, _ in keys}
    balances = {
        (balance.account_id, balance.currency): balance
        for balance in RewardBalance.objects.for_org(organization).filter(account_id__in=account_ids)
        .select_for_update(of=("self",)).select_related("account", "available_account", "reserved_account").order_by("pk")
        if (balance.account_id, balance.currency) in keys
    }
    missing = [balance for balance in balances.values() if balance.reserved_account is None]
    made = LedgerAccount.objects.bulk_create(
        LedgerAccount(organization=organization, kind=LedgerAccount.Kind.RESERVED, currency=balance.currency,
                      name=f"Rewards “{balance.account.name}” reserved ({balance.currency})")
        for balance in missing
    )
    for balance, account in zip(missing, made):
        balance.reserved_account = account
    RewardBalance.objects.bulk_update(missing, ["reserved_account"])
    return balances


def _post_reservations(organization, shares, *, actor, reference: str, memo: str, back: bool) -> LedgerTransaction | None:
    """One ledger transaction per currency moving each account's share from available to
    reserved (or back): [(account id, currency, amount_minor)]. Returns the first."""
    balances = _reserved_balances(organization, {(account_id, currency) for account_id, currency, _ in shares})
    by_currency = defaultdict(list)
    sign = -1 if back else 1
    for account_id, currency, minor in sorted(shares):
        balance = balances[account_id, currency]
        by_currency[currency] += [(balance.available_account, -sign * minor), (balance.reserved_account, sign * minor)]
    posted = [
        ledger_post(
            organization=organization, kind=LedgerTransaction.Kind.RELEASE if back else LedgerTransaction.Kind.RESERVE,
            postings=postings, actor=actor, reference=reference, memo=memo,
        )
        for _currency, postings in sorted(by_currency.items())
    ]
    return posted[0] if posted else None


def _reserve_file(organization, per_account, user, reference) -> tuple[list, LedgerTransaction | None]:
    """Reserve what a redemption file awaiting approval takes from each account, at once, so that
    nothing else spends it meanwhile (and approving can't overdraw)."""
    shares = [(account_id, currency, minor) for (account_id, currency), minor in per_account.items()]
    try:
        with transaction.atomic():
            reservation = _post_reservations(
                organization, shares, actor=user, reference=reference, memo=_("Bulk redemption file awaiting approval"), back=False
            )
    except InsufficientFunds as error:
        raise BulkFileError(
            _(
                "Not enough is available to reserve this file while it awaits approval (%(why)s; another file "
                "awaiting approval may hold part of it). Nothing was sent for approval."
            ) % {"why": error.message[:-1]},
            "insufficient_balance",
        ) from None
    return shares, reservation


def _release_file(approval: Approval, actor, memo: str) -> LedgerTransaction | None:
    """Give back what the file reserved (approved: just before it is applied; rejected)."""
    shares = [tuple(share) for share in approval.payload.get("reserved", [])]
    return _post_reservations(approval.organization, shares, actor=actor, reference=f"approval:{approval.pk}", memo=memo, back=True)


def _outcome(rows, done: str) -> str:
    """`done` names what was done with `%(applied)s of %(total)s rows.` in it, translated."""
    applied = sum(row.result == "applied" for row in rows)
    failed = [_("line %(line)s: %(why)s") % {"line": row.line, "why": row.message} for row in rows if row.error]
    text = done % {"applied": applied, "total": len(rows)}
    return text + (" " + _("Not applied: %(reasons)s") % {"reasons": "; ".join(failed)} if failed else "")


def approval_run(*, approval: Approval, actor) -> str:
    """The approved file is applied now, in the requester's name, each row checked again: what
    it reserved goes back to available first, and its rows redeem it."""
    _release_file(approval, actor, _("Bulk redemption file approved: its reservation ends"))
    rows = bulk_apply(
        organization=approval.organization, text=approval.payload["text"], user=approval.requested_by,
        confirmed_duplicates=frozenset(approval.payload.get("confirmed_duplicates", [])), approved=True,
    )
    return _outcome(rows, _("Applied %(applied)s of %(total)s rows."))


def approval_release(*, approval: Approval, actor):
    """A rejected file: nothing was redeemed; what it reserved is available again."""
    return _release_file(approval, actor, _("Bulk redemption file rejected"))


def approval_run_create(*, approval: Approval, actor) -> str:
    """The approved reward file is given now, in the requester's name, each row checked again;
    each row's key makes it once, whatever runs it again."""
    rows = bulk_rewards_apply(
        organization=approval.organization, text=approval.payload["text"], user=approval.requested_by,
        confirmed_duplicates=frozenset(approval.payload.get("confirmed_duplicates", [])), approved=True,
    )
    return _outcome(rows, _("Gave rewards for %(applied)s of %(total)s rows."))


def approval_release_create(*, approval: Approval, actor):
    """A rejected reward file: no reward was given, nothing was reserved."""
    return None


def apply_rows(*, organization, rows, user, apply_row) -> None:
    """Apply each good row (`apply_row(row, actor)`), each in its own transaction with the claim
    on its key: a row that fails releases the key, so uploading the file again retries it."""
    actor = Actor.web(user, channel="bulk")
    for row in rows:
        if not row.ok:
            continue
        try:
            with transaction.atomic():
                if not _claim(organization, row, actor):
                    continue
                apply_row(row, actor)
        except DomainError as error:
            row.error = error.message
        else:
            row.result = "applied"


def _redeem_row(row: BulkRow, actor) -> None:
    if isinstance(row.target, Reward):
        row.redeemed = [reward_redeem(reward=row.target, amount=row.amount, actor=actor, note=row.note, idempotency_key=row.key)]
    else:
        row.redeemed = account_redeem(account=row.target, amount=row.amount, actor=actor, note=row.note, idempotency_key=row.key)


def bulk_apply(*, organization, text: str, user, confirmed_duplicates=frozenset(), approved: bool = False) -> list[BulkRow]:
    """Apply every row that passes its checks and was not applied before (a duplicate only if
    its line is in `confirmed_duplicates`); the one entry point of a bulk redemption file. Above
    the approval threshold nothing is applied yet: the good rows' result is "awaiting approval"
    (`approved`: its approval is running it)."""
    rows = bulk_preview(organization=organization, text=text, confirmed_duplicates=confirmed_duplicates)
    if not approved and _approval_needed(organization, text, rows, user, confirmed_duplicates) is not None:
        return rows
    apply_rows(organization=organization, rows=rows, user=user, apply_row=_redeem_row)
    return rows


# Bulk reward creation (impact.com's "create bulk cash rewards"): one reward per row, from a
# program, previewed first, each row applied once (the same keys as redemption files).

REWARD_COLUMNS = ["account_external_id", "program", "amount", "advocate_external_id", "advocate_email", "source_event", "event_at", "external_id"]
REWARD_RESULT_HEADER = ["line", "account_external_id", "program", "amount", "currency", "result", "message"]


@dataclass
class RewardRow:
    line: int
    values: dict
    key: str = ""
    error: str = ""
    duplicate_of: int | None = None
    confirmed: bool = False
    account: RewardAccount | None = None
    program: object = None
    advocate: object = None
    amount: Money | None = None
    event_at: datetime.datetime | None = None
    applied_at: datetime.datetime | None = None
    applied_by: str = ""
    result: str = ""
    reward: Reward | None = None

    ok = BulkRow.ok
    held_as_duplicate = BulkRow.held_as_duplicate
    message = BulkRow.message

    def as_result(self) -> list:
        amount = self.amount.plain() if self.amount else self.values.get("amount", "")
        status = self.result or ("already applied" if self.applied_at else "error" if self.error else "skipped duplicate" if self.held_as_duplicate else "ok")
        message = self.message or (self.reward.get_status_display() if self.reward else "")
        return [self.line, self.values.get("account_external_id", ""), self.values.get("program", ""), amount,
                self.amount.currency if self.amount else "", status, message]


def _reward_header(names: set) -> None:
    if not {"account_external_id", "program"} <= names:
        raise BulkFileError(_("The first line must name the columns: account_external_id, program, amount, advocate_external_id or advocate_email, source_event, event_at, external_id."))


def _event_at(text: str, now: datetime.datetime) -> datetime.datetime:
    """A date (2026-11-02) or ISO date and time; read in the current (the organization's) time zone."""
    if not text:
        return now
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise BulkFileError(_("event_at “%(text)s” is not a date like 2026-11-02 or 2026-11-02T14:30.") % {"text": text}) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _reward_targets(organization, rows):
    accounts = {a.external_id: a for a in RewardAccount.objects.for_org(organization).filter(external_id__in={r.values.get("account_external_id", "") for r in rows})}
    programs = {p.name.lower(): p for p in RewardProgram.objects.for_org(organization).filter(archived_at__isnull=True)}
    advocates = list(Advocate.objects.for_org(organization).filter(account__in=accounts.values()))
    taken = set(
        Reward.objects.for_org(organization)
        .filter(external_id__in={r.values.get("external_id", "") for r in rows} - {""})
        .values_list("external_id", flat=True)
    )
    return accounts, programs, advocates, taken


def _check_reward_row(row: RewardRow, accounts, programs, advocates, taken, *, decimal_comma, now) -> None:
    values = row.values
    row.account = accounts.get(values.get("account_external_id", ""))
    if row.account is None:
        raise BulkFileError(_("No account has the external id “%(id)s”.") % {"id": values.get("account_external_id", "")})
    row.program = programs.get(values.get("program", "").lower())
    if row.program is None:
        raise BulkFileError(_("No active program is named “%(name)s”.") % {"name": values.get("program", "")})
    advocate_id, email = values.get("advocate_external_id", ""), values.get("advocate_email", "").lower()
    if advocate_id or email:
        row.advocate = next(
            (a for a in advocates if a.account_id == row.account.pk and ((advocate_id and a.external_id == advocate_id) or (email and a.email.lower() == email))),
            None,
        )
        if row.advocate is None:
            raise BulkFileError(_("No participant of %(account)s is “%(who)s”.") % {"account": row.account, "who": advocate_id or email})
    if values.get("amount"):
        probe = BulkRow(line=row.line, account_id="", reward_id="", amount_text=values["amount"], currency="", note="")
        row.amount = _amount(probe, row.program.currency, decimal_comma=decimal_comma)
    # The very check reward_create makes when the row is applied.
    row.amount, _available, _expires, row.event_at = reward_check(
        account=row.account, amount=row.amount, program=row.program, advocate=row.advocate,
        event_at=_event_at(values.get("event_at", ""), now), now=now,
    )
    external_id = values.get("external_id", "")
    if external_id:
        if external_id in taken:
            raise BulkFileError(_("A reward with external id “%(id)s” exists already.") % {"id": external_id})
        taken.add(external_id)


def bulk_rewards_preview(*, organization, text: str, confirmed_duplicates=frozenset(), now=None) -> list[RewardRow]:
    """The dry run of a bulk reward file: each row's account, program, participant and amount, or why it would fail."""
    now = now or timezone.now()
    rows = [
        RewardRow(line=line.number, values=line.values, key=line.key, error=line.error, duplicate_of=line.duplicate_of)
        for line in read_lines(text, check_header=_reward_header)
    ]
    _mark_applied(organization, rows)
    accounts, programs, advocates, taken = _reward_targets(organization, rows)
    for row in rows:
        row.confirmed = row.duplicate_of is not None and row.line in confirmed_duplicates
        if row.applied_at is not None or row.error:
            continue
        try:
            _check_reward_row(row, accounts, programs, advocates, taken, decimal_comma=delimiter_of(text) == ";", now=now)
        except BulkFileError as error:
            row.error = str(error)
        except RewardInvalid as error:
            row.error = error.message
    return rows


def _give_row(row: RewardRow, actor) -> None:
    row.reward = reward_create(
        account=row.account, amount=row.amount, program=row.program, advocate=row.advocate,
        source_event=row.values.get("source_event", "")[:200], event_at=row.event_at,
        external_id=row.values.get("external_id", "")[:100], actor=actor,
    )


def bulk_rewards_apply(*, organization, text: str, user, confirmed_duplicates=frozenset(), approved: bool = False) -> list[RewardRow]:
    """Give one reward per good row; the one entry point of a bulk reward file. Above the
    approval threshold nothing is given yet: the good rows' result is "awaiting approval"
    (`approved`: its approval is running it)."""
    rows = bulk_rewards_preview(organization=organization, text=text, confirmed_duplicates=confirmed_duplicates)
    if not approved and _approval_needed(
        organization, text, rows, user, confirmed_duplicates, kind=Approval.Kind.REWARDS_BULK_CREATE
    ) is not None:
        return rows
    apply_rows(organization=organization, rows=rows, user=user, apply_row=_give_row)
    return rows
