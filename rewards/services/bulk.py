"""Bulk redemption from a CSV: a dry run that lists each row's problem, then an apply that is
atomic per row and checks every row again (balances may have moved since the preview).

Columns: `account_external_id` or `reward_external_id` (one of them), `amount` (decimal, e.g.
12.50), `note` (optional) and `currency` (optional; defaults to the reward's currency, or to
the account's only currency).

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
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from approvals.models import Approval
from approvals.services import approval_request, requires_approval
from core.errors import DomainError, InvalidInput
from core.models import IdempotencyRecord
from core.money import Money, MoneyError, require_positive

from ..models import Reward, RewardAccount, RewardBalance
from . import BULK_KEY_PREFIX, Actor, account_redeem, reward_redeem

MAX_ROWS = 5_000
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
    redeemed: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error and self.applied_at is None

    @property
    def message(self) -> str:
        if self.applied_at is not None:
            when = timezone.localtime(self.applied_at)
            return f"Applied on {when:%Y-%m-%d %H:%M %Z} by {self.applied_by}, from an earlier upload of this same file."
        return self.error

    def as_result(self) -> list:
        amount = self.amount.plain() if self.amount else self.amount_text
        currency = self.amount.currency if self.amount else self.currency
        status = self.result or ("already applied" if self.applied_at else "error" if self.error else "ok")
        return [self.line, self.account_id, self.reward_id, amount, currency, status, self.message]


def file_digest(text: str) -> str:
    """SHA-256 of what the file says: its cells, trimmed as they are read, whatever the line
    endings or quoting (a browser posts the previewed text back with CRLF; spreadsheets differ)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cells = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text)) if row]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


def _read(text: str) -> list[BulkRow]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _rows(reader, text)
    except csv.Error as error:  # e.g. a cell over csv.field_size_limit() (131,072 characters)
        if "field larger than field limit" in str(error):
            raise BulkFileError(
                f"Line {reader.line_num}: a cell is longer than {csv.field_size_limit():,} characters; this is no redemption file."
            ) from None
        raise BulkFileError(f"Line {reader.line_num} can't be read as CSV: {error}.") from None


def _rows(reader: csv.DictReader, text: str) -> list[BulkRow]:
    columns = {(name or "").strip().lower() for name in reader.fieldnames or []}
    if "amount" not in columns or not columns & {"account_external_id", "reward_external_id"}:
        raise BulkFileError("The first line must name the columns: account_external_id or reward_external_id, amount, note.")
    rows = []
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise BulkFileError(f"The file has more than {MAX_ROWS} rows; split it into several uploads.")
        values = {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items() if isinstance(value, str)}
        if not any(values.values()):
            continue
        rows.append(
            BulkRow(
                line=number,
                account_id=values.get("account_external_id", ""),
                reward_id=values.get("reward_external_id", ""),
                amount_text=values.get("amount", ""),
                currency=values.get("currency", "").upper(),
                note=values.get("note", "")[:500],
            )
        )
    if not rows:
        raise BulkFileError("The file has no rows under its header line.")
    digest = file_digest(text)
    for row in rows:
        row.key = f"{BULK_KEY_PREFIX}{digest}:{row.line}"
    return rows


def _mark_applied(organization, rows) -> None:
    """Mark the rows an earlier upload of the same file applied, with when and by whom."""
    by_key = {row.key: row for row in rows}
    for record in IdempotencyRecord.objects.for_org(organization).filter(key__in=by_key):
        row = by_key[record.key]
        row.applied_at, row.applied_by = record.created_at, (record.response or {}).get("by", "")


def _targets(organization, rows):
    """Every reward and account the rows name, in two queries."""
    # External ids are unique per organization (conditional constraints, hence no in_bulk).
    rewards = {
        reward.external_id: reward
        for reward in Reward.objects.for_org(organization).filter(external_id__in={row.reward_id for row in rows if row.reward_id})
    }
    accounts = {
        account.external_id: account
        for account in RewardAccount.objects.for_org(organization).filter(external_id__in={row.account_id for row in rows if row.account_id})
    }
    currencies = defaultdict(list)
    for account_id, currency in RewardBalance.objects.filter(account__in=accounts.values()).values_list("account_id", "currency"):
        currencies[account_id].append(currency)
    return rewards, accounts, currencies


def _amount(row: BulkRow, currency: str) -> Money:
    try:
        return require_positive(Money.parse(row.amount_text, currency))
    except MoneyError as error:
        raise BulkFileError(f"Amount “{row.amount_text}”: {error}") from None


def _check(row, rewards, accounts, currencies):
    """Find the row's target and amount, or set its error."""
    if bool(row.account_id) == bool(row.reward_id):
        raise BulkFileError("Give either an account_external_id or a reward_external_id.")
    if row.reward_id:
        row.target = rewards.get(row.reward_id)
        if row.target is None:
            raise BulkFileError(f"No reward has the external id “{row.reward_id}”.")
        currency = row.target.currency
        if row.currency and row.currency != currency:
            raise BulkFileError(f"This reward is in {currency}, not {row.currency}.")
    else:
        row.target = accounts.get(row.account_id)
        if row.target is None:
            raise BulkFileError(f"No account has the external id “{row.account_id}”.")
        held = currencies[row.target.pk]
        currency = row.currency or (held[0] if len(held) == 1 else "")
        if not currency:
            raise BulkFileError("This account has rewards in several currencies; add a currency column.")
    row.amount = _amount(row, currency)


def bulk_preview(*, organization, text: str) -> list[BulkRow]:
    """The dry run: each row with its target and amount, or the reason it would fail, or when an
    earlier upload of the same file applied it.

    Rows are checked in order against what earlier rows would have used up.
    """
    rows = _read(text)
    _mark_applied(organization, rows)
    rewards, accounts, currencies = _targets(organization, rows)
    available = {
        (balance.account_id, balance.currency): balance.available_account.balance_minor
        for balance in RewardBalance.objects.for_org(organization).select_related("available_account")
    }
    left = {reward.pk: reward.left_minor for reward in rewards.values()}
    for row in rows:
        if row.applied_at is not None:
            continue
        try:
            _check(row, rewards, accounts, currencies)
        except BulkFileError as error:
            row.error = str(error)
            continue
        account_id = row.target.account_id if isinstance(row.target, Reward) else row.target.pk
        pool = (account_id, row.amount.currency)
        if isinstance(row.target, Reward):
            if row.target.status != Reward.Status.AVAILABLE:
                row.error = f"This reward is {row.target.get_status_display().lower()}, not available."
                continue
            if row.amount.amount_minor > left[row.target.pk]:
                row.error = f"Over balance: this reward has {row.target.money(left[row.target.pk])} available."
                continue
            left[row.target.pk] -= row.amount.amount_minor
        elif row.amount.amount_minor > available.get(pool, 0):
            row.error = f"Over balance: {row.target} has {Money(available.get(pool, 0), row.amount.currency)} available."
            continue
        available[pool] = available.get(pool, 0) - row.amount.amount_minor
    return rows


def _claim(organization, row: BulkRow, actor) -> bool:
    """Claim the row's key; False (and the row marked) when the file's row was applied already."""
    claimed = IdempotencyRecord.objects.claim(
        organization=organization, key=row.key, fingerprint="", status_code=200, response={"by": actor.label}
    )
    if claimed is None:  # a concurrent upload of the same file applied it since the preview
        _mark_applied(organization, [row])
    return claimed is not None


AWAITING = "awaiting approval"


def _account_of(row: BulkRow) -> int:
    return row.target.account_id if isinstance(row.target, Reward) else row.target.pk


@transaction.atomic
def _approval_needed(organization, text: str, rows: list[BulkRow], user) -> Approval | None:
    """Above the threshold (the file's total per currency, or what one account gets) the file
    waits: its good rows are marked awaiting approval and the Approval is returned. Nothing is
    reserved (a redemption spends the account's own balance, which has no reserve): each row is
    checked again when the file is applied on approval, as at any apply."""
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
        raise BulkFileError("This file is awaiting approval already; it runs once an owner or admin approves it.", "awaiting_approval")
    currency, total = max(totals.items(), key=lambda item: item[1])
    amounts = " + ".join(str(Money(minor, code)) for code, minor in sorted(totals.items()))
    approval = approval_request(
        organization=organization, kind=Approval.Kind.REWARDS_BULK, requested_by=user,
        total=Money(total, currency), per_participant=Money(biggest[currency], currency),
        summary=f"Bulk redemption file: {len(good)} row{'s' if len(good) != 1 else ''}, {amounts}",
        reference=reference, link=reverse("rewards:bulk_redeem"), payload={"text": text},
    )
    for row in good:
        row.result = AWAITING
    return approval


def approval_run(*, approval: Approval, actor) -> str:
    """The approved file is applied now, in the requester's name, each row checked again."""
    rows = bulk_apply(organization=approval.organization, text=approval.payload["text"], user=approval.requested_by, approved=True)
    applied = sum(row.result == "applied" for row in rows)
    failed = [f"line {row.line}: {row.message}" for row in rows if row.error]
    return f"Applied {applied} of {len(rows)} rows." + (f" Not applied: {'; '.join(failed)}" if failed else "")


def approval_release(*, approval: Approval, actor):
    """A rejected file: nothing was redeemed or reserved."""
    return None


def bulk_apply(*, organization, text: str, user, approved: bool = False) -> list[BulkRow]:
    """Apply every row that passes its checks and was not applied before, each in its own
    transaction with the claim on its key: a row that fails releases the key, so uploading the
    file again retries it. Above the approval threshold nothing is applied yet: the good rows'
    result is "awaiting approval" (`approved` is its approval running it)."""
    rows = bulk_preview(organization=organization, text=text)
    if not approved and _approval_needed(organization, text, rows, user) is not None:
        return rows
    actor = Actor.web(user, channel="bulk")
    for row in rows:
        if not row.ok:
            continue
        try:
            with transaction.atomic():
                if not _claim(organization, row, actor):
                    continue
                if isinstance(row.target, Reward):
                    row.redeemed = [reward_redeem(reward=row.target, amount=row.amount, actor=actor, note=row.note, idempotency_key=row.key)]
                else:
                    row.redeemed = account_redeem(account=row.target, amount=row.amount, actor=actor, note=row.note, idempotency_key=row.key)
        except DomainError as error:
            row.error = error.message
        else:
            row.result = "applied"
    return rows
