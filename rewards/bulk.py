"""Bulk redemption from a CSV: a dry run that lists each row's problem, then an apply that is
atomic per row and checks every row again (balances may have moved since the preview).

Columns: `account_external_id` or `reward_external_id` (one of them), `amount` (decimal, e.g.
12.50), `note` (optional) and `currency` (optional; defaults to the reward's currency, or to
the account's only currency).
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from budgets.services import LedgerError
from core.money import Money, MoneyError, require_positive

from . import services
from .models import IdempotencyRecord, Reward, RewardAccount, RewardBalance

MAX_ROWS = 5_000
RESULT_HEADER = ["line", "account_external_id", "reward_external_id", "amount", "currency", "result", "message"]


class BulkFileError(ValueError):
    """The file as a whole can't be read; the message is for people."""


@dataclass
class BulkRow:
    line: int
    account_id: str
    reward_id: str
    amount_text: str
    currency: str
    note: str
    target: Reward | RewardAccount | None = None
    amount: Money | None = None
    error: str = ""
    result: str = ""
    redeemed: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error

    def as_result(self) -> list:
        amount = self.amount.plain() if self.amount else self.amount_text
        currency = self.amount.currency if self.amount else self.currency
        return [self.line, self.account_id, self.reward_id, amount, currency, self.result or ("error" if self.error else "ok"), self.error]


def _read(text: str) -> list[BulkRow]:
    reader = csv.DictReader(io.StringIO(text))
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
    return rows


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
    """The dry run: each row with its target and amount, or the reason it would fail.

    Rows are checked in order against what earlier rows would have used up.
    """
    rows = _read(text)
    rewards, accounts, currencies = _targets(organization, rows)
    available = {
        (balance.account_id, balance.currency): balance.available_account.balance_minor
        for balance in RewardBalance.objects.for_org(organization).select_related("available_account")
    }
    left = {reward.pk: reward.left_minor for reward in rewards.values()}
    for row in rows:
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


def bulk_apply(*, organization, text: str, batch: str, user) -> list[BulkRow]:
    """Apply every row that passes its checks, each in its own transaction.

    Each row claims the key `bulk:<batch>:<line>`, so submitting the same preview twice
    applies each row once.
    """
    rows = bulk_preview(organization=organization, text=text)
    actor = services.Actor.web(user, channel="bulk")
    for row in rows:
        if not row.ok:
            continue
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(organization=organization, key=f"bulk:{batch}:{row.line}", fingerprint="", status_code=200)
                if isinstance(row.target, Reward):
                    row.redeemed = [services.reward_redeem(reward=row.target, amount=row.amount, actor=actor, note=row.note)]
                else:
                    row.redeemed = services.account_redeem(account=row.target, amount=row.amount, actor=actor, note=row.note)
        except IntegrityError:
            row.error = "Already applied from this upload."
        except LedgerError as error:
            row.error = error.message
        else:
            row.result = "applied"
    return rows
