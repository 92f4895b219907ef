"""incentives.0004: claims made before payouts existed become owed (payable), their money moved
out of "paid out" by one ledger transaction per budget, and their payout details sealed.

The data is the demo's shape (seed_demo's claims: a gift card and a charity in dollars, a SEPA
transfer in euros, one left unclaimed), written with the models as they were before the
migration, on a scratch database migrated only that far (the migration is irreversible, so it
runs forwards only, as an upgrade does); then the migration runs and the ledger must verify.
tests/reliability/test_migrations.py also applies it to the full demo data."""

from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from budgets.models import Budget, LedgerTransaction
from incentives.models import Incentive

from ..reliability.test_migrations import manage, scratch  # noqa: F401  (a database of this test's own)

BEFORE = [("budgets", "0001_initial"), ("incentives", "0003_release_transaction"),
          ("tenancy", "0002_expire_policy_and_reminder_max"), ("payouts", None)]
CLAIMS = [  # budget currency, method, details, amount
    ("USD", "gift_card", {"gift_card_email": "ada@example.test"}, 2_500),
    ("USD", "charity", {"charity_name": "Doctors Without Borders"}, 2_500),
    ("EUR", "bank_transfer", {"account_holder": "Alan Turing", "iban": "FR7630006000011234567890189"}, 4_000),
]


def _old_world(apps, db):
    """An organization with a USD and a EUR budget, funded; incentives sent and claimed as the
    old claim did (reserved -> paid out), one unclaimed."""
    Organization = apps.get_model("tenancy", "Organization")
    LedgerAccount = apps.get_model("budgets", "LedgerAccount")
    LedgerTransaction = apps.get_model("budgets", "LedgerTransaction")
    LedgerEntry = apps.get_model("budgets", "LedgerEntry")
    Budget = apps.get_model("budgets", "Budget")
    Study = apps.get_model("studies", "Study")
    Participant = apps.get_model("studies", "Participant")
    Incentive = apps.get_model("incentives", "Incentive")
    org = Organization.objects.using(db).create(name="Acme Research", slug="acme-migration")
    budgets, accounts = {}, {}

    def move(budget, kind, source, target, amount):
        accounts[source].balance_minor -= amount
        accounts[target].balance_minor += amount
        txn = LedgerTransaction.objects.using(db).create(organization=org, kind=kind, budget=budget, actor_label="test")
        LedgerEntry.objects.using(db).create(organization=org, transaction=txn, account=accounts[source], amount_minor=-amount)
        LedgerEntry.objects.using(db).create(organization=org, transaction=txn, account=accounts[target], amount_minor=amount)

    for currency in ("USD", "EUR"):
        for kind in ("external", "available", "reserved", "paid_out"):
            accounts[currency, kind] = LedgerAccount.objects.using(db).create(organization=org, kind=kind, currency=currency, name=f"{currency} {kind}")
        budgets[currency] = Budget.objects.using(db).create(
            organization=org, name=f"Demo {currency}", currency=currency, available_account=accounts[currency, "available"],
            reserved_account=accounts[currency, "reserved"], paid_out_account=accounts[currency, "paid_out"],
        )
        move(budgets[currency], "fund", (currency, "external"), (currency, "available"), 100_000)
    now = timezone.now()
    for number, (currency, method, details, amount) in enumerate([*CLAIMS, ("USD", "", {}, 2_500)]):
        budget = budgets[currency]
        study = Study.objects.using(db).create(organization=org, name=f"Study {number}", budget=budget, incentive_amount_minor=amount, currency=currency)
        person = Participant.objects.using(db).create(organization=org, name=f"Person {number}", email=f"p{number}@example.test")
        move(budget, "reserve", (currency, "available"), (currency, "reserved"), amount)
        incentive = Incentive.objects.using(db).create(
            organization=org, study=study, participant=person, budget=budget, amount_minor=amount, currency=currency,
            status="claimed" if method else "unclaimed", token_nonce=f"n{number}", token_hash=f"h{number}", subject="Thanks",
            sent_at=now, claimed_at=now if method else None, payout_method=method, payout_details=details,
        )
        if method:
            move(budget, "settle", (currency, "reserved"), (currency, "paid_out"), amount)
    for account in accounts.values():
        account.save(using=db, update_fields=["balance_minor"])
    return incentive


def test_existing_claims_become_payable_with_sealed_details_and_the_ledger_verifies(scratch):  # noqa: F811
    executor = MigrationExecutor(connections[scratch])
    executor.migrate(BEFORE)
    _old_world(executor.loader.project_state(BEFORE[:3]).apps, scratch)
    executor = MigrationExecutor(connections[scratch])
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert "Ledger OK" in manage(scratch, "verify_ledger").stdout
    usd, eur = (Budget.objects.using(scratch).with_accounts().get(name=f"Demo {currency}") for currency in ("USD", "EUR"))
    assert (usd.reserved_minor, usd.payable_minor, usd.paid_out_minor, usd.available_minor) == (2_500, 5_000, 0, 92_500)
    assert (eur.payable_minor, eur.paid_out_minor) == (4_000, 0)
    assert LedgerTransaction.objects.using(scratch).filter(kind="reclassify").count() == 2
    incentives = Incentive.objects.using(scratch)
    transfer = incentives.get(payout_method="bank_transfer")
    assert transfer.payout_status == "owed" and transfer.payout_details["iban"] == "FR7630006000011234567890189"
    assert transfer.payout_details_masked == {"account_holder": "A••• T•••", "iban": "FR76 •••• 0189"}
    assert "FR7630006000011234567890189" not in transfer.payout_details_sealed
    assert incentives.get(status="unclaimed").payout_status == ""
