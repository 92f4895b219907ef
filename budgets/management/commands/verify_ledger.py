from django.core.management.base import BaseCommand, CommandError

from django.db.models import Sum

from budgets.models import LedgerAccount, LedgerTransaction
from budgets.selectors import ledger_problems
from core.money import format_money


class Command(BaseCommand):
    help = "Check that every ledger transaction sums to zero and every cached balance equals its entries."

    def handle(self, *args, **options):
        problems = ledger_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"The ledger has {len(problems)} problem(s).")
        self.stdout.write(
            f"Ledger OK: {LedgerTransaction.objects.count()} transactions, "
            f"{LedgerAccount.objects.count()} accounts, every balance matches its entries."
        )
        # What budgets owe participants (claimed, not yet paid) and have paid out, per currency.
        for kind, label in ((LedgerAccount.Kind.PAYABLE, "Payable (claimed, not yet paid)"), (LedgerAccount.Kind.PAID_OUT, "Paid out")):
            rows = (
                LedgerAccount.objects.filter(kind=kind).values("currency").annotate(total=Sum("balance_minor")).order_by("currency")
            )
            totals = ", ".join(format_money(row["total"], row["currency"]) for row in rows) or "nothing"
            self.stdout.write(f"{label}: {totals}")
