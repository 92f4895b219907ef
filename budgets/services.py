"""Every movement of money. Callers never touch balances or entries themselves."""

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext as _, gettext_lazy

from core.errors import DomainError
from core.money import Money, MoneyError, require_positive
from tenancy.models import Organization

from .models import Budget, LedgerAccount, LedgerEntry, LedgerTransaction


class LedgerError(DomainError):
    """A refused money movement."""

    code = "ledger_error"
    status = 422


class InsufficientFunds(LedgerError):
    code = "insufficient_funds"
    status = 409


class InvalidAmount(LedgerError):
    code = "invalid_amount"


def actor_label_for(actor) -> str:
    return getattr(actor, "email", None) or str(actor or "system")


def checked_amount(amount: Money, currency: str) -> Money:
    """A positive amount in the given currency, or InvalidAmount with the reason."""
    if not isinstance(amount, Money):
        raise InvalidAmount(_("Amounts are Money: whole minor units with a currency."))
    if amount.currency != currency:
        raise InvalidAmount(_("This budget is in %(budget_currency)s; the amount is in %(currency)s.") % {
            "budget_currency": currency, "currency": amount.currency})
    try:
        return require_positive(amount)
    except MoneyError as error:
        raise InvalidAmount(str(error)) from None


def ledger_post(
    *,
    organization: Organization,
    kind: str,
    postings: list[tuple[LedgerAccount, int]],
    actor=None,
    actor_label: str = "",
    reference: str = "",
    memo: str = "",
    budget: Budget | None = None,
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction and move the cached balances, all or nothing, in two
    statements (the ledger's hot path: fewer round trips, locks held for less time).

    1. One UPDATE moves every account's balance: it locks the accounts in id order first (so
       concurrent posts can't deadlock) and changes them only if none would go below zero; when
       one would, it changes nothing and that refusal is InsufficientFunds.
    2. One INSERT writes the transaction and its entries.

    An external-funding account gets its entries but no balance update: it may go negative, so a
    cached balance would guard nothing and only make every fund, withdrawal and reward of the
    organization queue for its one row (its balance is the sum of its entries when wanted).
    """
    if sum(amount for _, amount in postings) != 0:
        raise LedgerError(_("A ledger transaction must sum to zero."))
    if len({account.currency for account, _ in postings}) != 1:
        raise LedgerError(_("A ledger transaction can't mix currencies."))
    if any(account.organization_id != organization.pk for account, _ in postings):
        raise LedgerError(_("A ledger transaction stays inside one organization."))
    txn = LedgerTransaction(
        organization=organization,
        kind=kind,
        budget=budget,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label or actor_label_for(actor),
        reference=reference,
        memo=memo,
        reverses=reverses,
    )
    cached = [(account, amount) for account, amount in postings if account.kind != LedgerAccount.Kind.EXTERNAL]
    # No savepoint: nothing is caught inside, and a refusal leaves the accounts as they were.
    with transaction.atomic(savepoint=False):
        short = _move_balances(cached)
        if short is None:
            _insert_transaction(txn, postings)
    if short is not None:
        raise InsufficientFunds(_("%(account)s holds less than %(amount)s.") % {
            "account": short, "amount": Money(-dict(cached)[short], short.currency)})
    return txn


def _move_balances(postings: list[tuple[LedgerAccount, int]]) -> LedgerAccount | None:
    """Add each amount to its account's balance in one statement, or change nothing and return
    an account that would go below zero."""
    if not postings:
        return None
    table = LedgerAccount._meta.db_table
    values = ", ".join(["(%s::bigint, %s::bigint)"] * len(postings))
    sql = f"""
        WITH posting (id, amount) AS (VALUES {values}),
        locked AS (
            SELECT account.id, account.balance_minor, posting.amount FROM {table} account
            JOIN posting ON posting.id = account.id ORDER BY account.id FOR UPDATE OF account
        ),
        short AS (SELECT id FROM locked WHERE balance_minor + amount < 0 ORDER BY id LIMIT 1)
        UPDATE {table} account SET balance_minor = account.balance_minor + locked.amount
        FROM locked WHERE account.id = locked.id AND NOT EXISTS (SELECT 1 FROM short)
        RETURNING account.id
    """
    params = [value for account, amount in postings for value in (account.pk, amount)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        moved = cursor.rowcount
    if moved == len(postings):
        return None
    balances = dict(LedgerAccount.objects.filter(pk__in=[account.pk for account, _ in postings]).values_list("pk", "balance_minor"))
    if moved or len(balances) != len(postings):  # an account that isn't there: a bug, never a shortfall
        raise LedgerError(_("A ledger account of this transaction does not exist."))
    return next(account for account, amount in postings if balances[account.pk] + amount < 0)


def _insert_transaction(txn: LedgerTransaction, postings: list[tuple[LedgerAccount, int]]) -> None:
    """Insert the transaction and its entries in one statement; `txn` gets its id."""
    fields = [field for field in LedgerTransaction._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    values = [field.get_db_prep_save(field.pre_save(txn, True), connection) for field in fields]
    entries = ", ".join(["(%s::bigint, %s::bigint)"] * len(postings))
    sql = f"""
        WITH txn AS (
            INSERT INTO {quote(LedgerTransaction._meta.db_table)} ({", ".join(quote(field.column) for field in fields)})
            VALUES ({", ".join(["%s"] * len(fields))}) RETURNING id
        )
        INSERT INTO {quote(LedgerEntry._meta.db_table)} (organization_id, transaction_id, account_id, amount_minor)
        SELECT %s, txn.id, entry.account_id, entry.amount FROM txn, (VALUES {entries}) AS entry (account_id, amount)
        RETURNING transaction_id
    """
    params = [*values, txn.organization_id, *[value for account, amount in postings for value in (account.pk, amount)]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        txn.pk = cursor.fetchone()[0]
    txn._state.adding = False
    txn._state.db = connection.alias


def external_account(*, organization: Organization, currency: str) -> LedgerAccount:
    """The organization's source of funds in a currency (created the first time)."""
    lookup = {"organization": organization, "currency": currency, "kind": LedgerAccount.Kind.EXTERNAL}
    try:
        with transaction.atomic():
            account, _ = LedgerAccount.objects.get_or_create(
                **lookup, defaults={"name": f"{organization} external funding ({currency})"}
            )
    except IntegrityError:  # created by a concurrent request in between
        account = LedgerAccount.objects.get(**lookup)
    return account


@transaction.atomic
def budget_create(*, organization: Organization, name: str, currency: str, description: str = "") -> Budget:
    currency = Money(0, currency).currency

    def account(kind):
        # The name is stored: in the default language, whoever creates the budget.
        with translation.override(None):
            label = str(kind.label).lower()
        return LedgerAccount.objects.create(
            organization=organization, kind=kind, currency=currency, name=f"Budget “{name}” {label}"
        )

    return Budget.objects.create(
        organization=organization,
        name=name,
        currency=currency,
        description=description,
        available_account=account(LedgerAccount.Kind.AVAILABLE),
        reserved_account=account(LedgerAccount.Kind.RESERVED),
        payable_account=account(LedgerAccount.Kind.PAYABLE),
        paid_out_account=account(LedgerAccount.Kind.PAID_OUT),
    )


def _budget_move(*, budget, amount, kind, source, target, actor, reference, memo, shortfall):
    amount = checked_amount(amount, budget.currency)
    try:
        return ledger_post(
            organization=budget.organization,
            kind=kind,
            postings=[(source, -amount.amount_minor), (target, amount.amount_minor)],
            actor=actor,
            reference=reference,
            memo=memo,
            budget=budget,
        )
    except InsufficientFunds:
        source.refresh_from_db(fields=["balance_minor"])
        raise InsufficientFunds(shortfall(source.balance, amount)) from None


def budget_fund(*, budget: Budget, amount: Money, actor, memo: str = "") -> LedgerTransaction:
    """Money comes in from outside: external -> available."""
    return _budget_move(
        budget=budget,
        amount=amount,
        kind=LedgerTransaction.Kind.FUND,
        source=external_account(organization=budget.organization, currency=budget.currency),
        target=budget.available_account,
        actor=actor,
        reference=f"budget:{budget.pk}",
        memo=memo,
        shortfall=None,
    )


def budget_withdraw(*, budget: Budget, amount: Money, actor, memo: str = "") -> LedgerTransaction:
    """Unused money goes back out: available -> external."""
    return _budget_move(
        budget=budget,
        amount=amount,
        kind=LedgerTransaction.Kind.WITHDRAW,
        source=budget.available_account,
        target=external_account(organization=budget.organization, currency=budget.currency),
        actor=actor,
        reference=f"budget:{budget.pk}",
        memo=memo,
        shortfall=lambda has, needs: _("Budget %(budget)s has %(has)s available; you asked to withdraw %(needs)s.") % {
            "budget": budget.name, "has": has, "needs": needs},
    )


class NotCorrectable(LedgerError):
    code = "not_correctable"
    status = 409


def ledger_reverse(*, transaction_to_undo: LedgerTransaction, actor, reason: str) -> LedgerTransaction:
    """Correct a budget's fund or withdrawal by posting its opposite, with the reason; the
    original stays. Each is reversed at most once (a unique link, so a double submit or a race
    gets NotCorrectable); a fund whose money has since been sent can't be reversed below zero."""
    reason = reason.strip()
    if not reason:
        raise NotCorrectable(_("Say why this is being corrected."))
    original = transaction_to_undo
    if original.kind not in LedgerTransaction.CORRECTABLE:
        raise NotCorrectable(_("A %(kind)s is undone by its own action, not corrected here.") % {
            "kind": original.get_kind_display().lower()})
    budget = original.budget
    entries = list(original.entries.select_related("account"))
    already = _("%(transaction)s was corrected already.") % {"transaction": original}
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise NotCorrectable(already)
    try:
        return ledger_post(
            organization=original.organization,
            kind=LedgerTransaction.Kind.REVERSAL,
            postings=[(entry.account, -entry.amount_minor) for entry in entries],
            actor=actor,
            reference=f"reverses:{original.pk}",
            memo=reason[:500],
            budget=budget,
            reverses=original,
        )
    except IntegrityError:  # a concurrent correction of the same transaction won
        raise NotCorrectable(already) from None
    except InsufficientFunds:
        budget.available_account.refresh_from_db(fields=["balance_minor"])
        amount = budget.money(sum(entry.amount_minor for entry in entries if entry.amount_minor > 0))
        raise InsufficientFunds(
            _("Budget %(budget)s has %(has)s available; reversing this fund needs %(needs)s.")
            % {"budget": budget.name, "has": budget.available_account.balance, "needs": amount}
        ) from None


def budget_reserve(*, budget: Budget, amount: Money, actor, reference: str = "", memo: str = "", purpose: str = "send") -> LedgerTransaction:
    """Set money aside for sent incentives: available -> reserved, all or nothing."""
    return _budget_move(
        budget=budget,
        amount=amount,
        kind=LedgerTransaction.Kind.RESERVE,
        source=budget.available_account,
        target=budget.reserved_account,
        actor=actor,
        reference=reference,
        memo=memo,
        shortfall=lambda has, needs: (
            _("Budget %(budget)s has %(has)s available; this send needs %(needs)s.") if purpose == "send"
            else _("Budget %(budget)s has %(has)s available; this %(purpose)s needs %(needs)s.")
        ) % {"budget": budget.name, "has": has, "needs": needs, "purpose": purpose},
    )


def budget_release(*, budget: Budget, amount: Money, actor, reference: str = "", memo: str = "") -> LedgerTransaction:
    """A cancelled or expired incentive's money comes back: reserved -> available."""
    return _budget_move(
        budget=budget,
        amount=amount,
        kind=LedgerTransaction.Kind.RELEASE,
        source=budget.reserved_account,
        target=budget.available_account,
        actor=actor,
        reference=reference,
        memo=memo,
        shortfall=lambda has, needs: _("Budget %(budget)s has only %(has)s reserved; can't release %(needs)s.") % {
            "budget": budget.name, "has": has, "needs": needs},
    )


def budget_settle(*, budget: Budget, amount: Money, actor, reference: str = "", memo: str = "") -> LedgerTransaction:
    """A claimed incentive is owed to its participant: reserved -> payable."""
    return _budget_move(
        budget=budget,
        amount=amount,
        kind=LedgerTransaction.Kind.SETTLE,
        source=budget.reserved_account,
        target=budget.payable_account,
        actor=actor,
        reference=reference,
        memo=memo,
        shortfall=lambda has, needs: _("Budget %(budget)s has only %(has)s reserved; can't settle %(needs)s.") % {
            "budget": budget.name, "has": has, "needs": needs},
    )


def _payout_move(kind: str, source: str, target: str, shortfall: str):
    """A budget service moving a payout's money between two of the budget's accounts."""

    def move(*, budget: Budget, amount: Money, actor, reference: str = "", memo: str = "") -> LedgerTransaction:
        return _budget_move(
            budget=budget, amount=amount, kind=kind, source=getattr(budget, source), target=getattr(budget, target),
            actor=actor, reference=reference, memo=memo,
            shortfall=lambda has, needs: str(shortfall).format(budget=budget.name, has=has, needs=needs),
        )

    return move


# Owed money has left for the participants: payable -> paid out.
budget_payout_sent = _payout_move(
    LedgerTransaction.Kind.PAYOUT_SENT, "payable_account", "paid_out_account", gettext_lazy("Budget {budget} owes only {has}; can't pay out {needs}.")
)
# A payout came back (the bank returned it): paid out -> payable, owed again.
budget_payout_returned = _payout_move(
    LedgerTransaction.Kind.PAYOUT_RETURNED, "paid_out_account", "payable_account",
    gettext_lazy("Budget {budget} has paid out only {has}; can't take back {needs}."),
)
# Owed money nobody could be paid within the organization's period: payable -> available.
budget_payout_abandoned = _payout_move(
    LedgerTransaction.Kind.PAYOUT_ABANDONED, "payable_account", "available_account", gettext_lazy("Budget {budget} owes only {has}; can't abandon {needs}.")
)
