from django.core.management.base import BaseCommand, CommandError

from budgets.models import LedgerAccount, LedgerTransaction
from budgets.selectors import ledger_problems


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
