import datetime

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate

from .models import Budget, LedgerAccount, LedgerEntry, LedgerTransaction


def budget_list(*, organization):
    return Budget.objects.for_org(organization).with_accounts()


def budget_list_with_counts(*, organization):
    """Budgets with how many incentives each has sent, and how many of those are unclaimed,
    claimed and cancelled: one aggregated query."""
    def count(status=None):
        return Count("incentives", filter=Q(incentives__status=status) if status else None)

    return budget_list(organization=organization).annotate(
        sent_count=count(),
        unclaimed_count=count("unclaimed"),
        claimed_count=count("claimed"),
        cancelled_count=count("cancelled"),
    )


# Where claimed incentives' money is, by their payout status (incentives.models.PayoutStatus):
# claimed and not yet paid, paid, failed or returned (docs/payouts.md).
PAYOUT_GROUPS = {"owed": ["owed", "in_batch"], "paid": ["paid"], "returned": ["returned"]}


def budget_with_payout_totals(*, organization):
    """budget_list_with_counts, and for each budget `payout_totals`' figures
    (owed_count, owed_minor, paid_…, returned_…) in the same query."""
    annotations = {}
    for name, statuses in PAYOUT_GROUPS.items():
        where = Q(incentives__payout_status__in=statuses)
        annotations[f"payout_{name}_count"] = Count("incentives", filter=where)
        annotations[f"payout_{name}_minor"] = Sum("incentives__amount_minor", filter=where, default=0)
    return budget_list_with_counts(organization=organization).annotate(**annotations)


def payout_totals_of(budget) -> dict:
    """The payout figures budget_with_payout_totals annotated, as the payout totals partial reads them."""
    figures = {f"{name}_{unit}": getattr(budget, f"payout_{name}_{unit}") for name in PAYOUT_GROUPS for unit in ("count", "minor")}
    return {**figures, "currency": budget.currency}


def budget_funds_series(*, budget: Budget) -> list[tuple[datetime.date, dict[str, int]]]:
    """The budget's available, reserved, payable and paid-out balances at the end of each day money
    moved, oldest first, from its ledger entries (one grouped query)."""
    kinds = {
        budget.available_account_id: "available",
        budget.reserved_account_id: "reserved",
        budget.payable_account_id: "payable",
        budget.paid_out_account_id: "paid_out",
    }
    moves = (
        LedgerEntry.objects.for_org(budget.organization)
        .filter(account_id__in=kinds)
        .annotate(day=TruncDate("transaction__created_at"))
        .values("day", "account_id")
        .annotate(total=Sum("amount_minor"))
        .order_by("day")
    )
    balances = dict.fromkeys(kinds.values(), 0)
    series: list[tuple[datetime.date, dict[str, int]]] = []
    for move in moves:
        balances[kinds[move["account_id"]]] += move["total"]
        if series and series[-1][0] == move["day"]:
            series[-1] = (move["day"], dict(balances))
        else:
            series.append((move["day"], dict(balances)))
    return series


def budget_transactions(*, budget: Budget):
    return (
        LedgerTransaction.objects.for_org(budget.organization)
        .filter(budget=budget)
        .select_related("reverses", "reversed_by")
        .prefetch_related("entries")
    )


def ledger_problems() -> list[str]:
    """Every way the ledger disagrees with itself; empty when it is sound.

    Checks that each transaction sums to zero in one currency, and that each account's
    cached balance equals the sum of its entries and is not negative (an external account caches
    none: its balance stays 0).
    """
    problems = []
    unbalanced = (
        LedgerEntry.objects.values("transaction_id")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
        .order_by("transaction_id")
    )
    problems += [f"Transaction {row['transaction_id']} sums to {row['total']}, not 0." for row in unbalanced]
    empty = LedgerTransaction.objects.filter(entries__isnull=True).values_list("pk", flat=True)
    problems += [f"Transaction {pk} has no entries." for pk in empty]
    mixed = (
        LedgerEntry.objects.values("transaction_id")
        .annotate(currencies=Count("account__currency", distinct=True))
        .filter(currencies__gt=1)
        .order_by("transaction_id")
    )
    problems += [f"Transaction {row['transaction_id']} mixes currencies." for row in mixed]
    entry_sum = (
        LedgerEntry.objects.filter(account=OuterRef("pk"))
        .values("account")
        .annotate(total=Sum("amount_minor"))
        .values("total")
    )
    drifted = (
        LedgerAccount.objects.exclude(kind=LedgerAccount.Kind.EXTERNAL).annotate(entries_total=Coalesce(Subquery(entry_sum), 0))
        .exclude(balance_minor=F("entries_total"))
        .order_by("pk")
    )
    problems += [
        f"Account {a.pk} ({a.name}) caches {a.balance_minor} but its entries sum to {a.entries_total}."
        for a in drifted
    ]
    negative = LedgerAccount.objects.filter(balance_minor__lt=0)
    problems += [f"Account {a.pk} ({a.name}) is negative: {a.balance_minor}." for a in negative]
    return problems
