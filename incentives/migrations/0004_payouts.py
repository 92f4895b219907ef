"""Payouts (docs/payouts.md): where a claimed incentive's money is, and its details sealed.

Until now a claim moved the money reserved -> paid out, though nobody had paid anyone. This
migration
- seals each incentive's payout details (clear JSON until now) with Fernet under the first key
  of PAYOUT_DETAILS_KEYS and keeps their masked form; the clear column is dropped;
- moves what existing claims hold from paid out back to payable, one "reclassify" ledger
  transaction per budget, and marks those incentives owed: they go into the next payout batch.
  An organization that paid them outside Gratia already sets PAYOUTS_MIGRATE_CLAIMED_AS=paid
  when migrating: the money stays paid out and the incentives are marked paid (sent at their
  claim time).
Balances move by conditional updates as ledger_post does; verify_ledger stays clean. The
migration is irreversible (see its operations).
"""

import os

from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Sum

from core import crypto

MASKS = {"iban": crypto.mask_account, "account_holder": crypto.mask_name, "gift_card_email": crypto.mask_email}


def seal_details(apps, schema_editor):
    db = schema_editor.connection.alias
    Incentive = apps.get_model("incentives", "Incentive")
    rows = Incentive.objects.using(db).exclude(payout_details={}).exclude(payout_details__isnull=True).only("pk", "payout_details")
    for incentive in rows.order_by("pk").iterator():
        details = {name: str(value) for name, value in incentive.payout_details.items() if value}
        Incentive.objects.using(db).filter(pk=incentive.pk).update(
            payout_details_sealed=crypto.seal(details),
            payout_details_masked={name: MASKS.get(name, str)(value) for name, value in details.items()},
        )


def claimed_to_payable(apps, schema_editor):
    db = schema_editor.connection.alias
    Incentive = apps.get_model("incentives", "Incentive")
    if os.environ.get("PAYOUTS_MIGRATE_CLAIMED_AS", "payable") == "paid":
        Incentive.objects.using(db).filter(status="claimed").update(payout_status="paid", payout_sent_at=F("claimed_at"))
        return
    Budget = apps.get_model("budgets", "Budget")
    LedgerAccount = apps.get_model("budgets", "LedgerAccount")
    LedgerTransaction = apps.get_model("budgets", "LedgerTransaction")
    LedgerEntry = apps.get_model("budgets", "LedgerEntry")
    totals = (
        Incentive.objects.using(db).filter(status="claimed").values("budget_id").annotate(total=Sum("amount_minor")).order_by("budget_id")
    )
    for row in totals:
        budget = Budget.objects.using(db).get(pk=row["budget_id"])
        total = row["total"]
        moved = LedgerAccount.objects.using(db).filter(pk=budget.paid_out_account_id, balance_minor__gte=total).update(
            balance_minor=F("balance_minor") - total
        )
        if moved != 1:
            raise RuntimeError(f"Budget {budget.pk}'s paid out holds less than its claims ({total}); run verify_ledger.")
        LedgerAccount.objects.using(db).filter(pk=budget.payable_account_id).update(balance_minor=F("balance_minor") + total)
        txn = LedgerTransaction.objects.using(db).create(
            organization_id=budget.organization_id, kind="reclassify", budget_id=budget.pk,
            actor_label="migration incentives.0004", reference=f"budget:{budget.pk}",
            memo="Claimed before payouts were recorded: owed to the participants, not yet paid",
        )
        LedgerEntry.objects.using(db).bulk_create([
            LedgerEntry(organization_id=budget.organization_id, transaction=txn, account_id=budget.paid_out_account_id, amount_minor=-total),
            LedgerEntry(organization_id=budget.organization_id, transaction=txn, account_id=budget.payable_account_id, amount_minor=total),
        ])
    Incentive.objects.using(db).filter(status="claimed").update(payout_status="owed")
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # before the ALTER TABLE that follows


class Migration(migrations.Migration):

    dependencies = [
        ('budgets', '0004_payable_account'),
        ('core', '0006_outbox_next_attempt_at'),
        ('incentives', '0004_w9'),  # one line of history
        ('studies', '0002_sort_indexes'),
        ('tenancy', '0003_payout_settings_and_finance_role'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='incentive',
            name='payout_abandoned_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='incentive',
            name='payout_details_erased_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='incentive',
            name='payout_details_masked',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='incentive',
            name='payout_details_sealed',
            field=models.TextField(blank=True, default=''),
        ),
        migrations.AddField(
            model_name='incentive',
            name='payout_return_reason',
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name='incentive',
            name='payout_returned_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='incentive',
            name='payout_sent_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='incentive',
            name='payout_status',
            field=models.CharField(blank=True, choices=[('owed', 'Owed'), ('in_batch', 'In a batch'), ('paid', 'Paid'), ('returned', 'Returned'), ('abandoned', 'Abandoned')], default='', max_length=10),
        ),
        migrations.AddIndex(
            model_name='incentive',
            index=models.Index(fields=['organization', 'payout_status', 'payout_method', 'currency'], name='incentive_payout_status'),
        ),
        # Irreversible: the money moved in an append-only ledger and the clear details are
        # dropped; an earlier release can't take this database back (restore a backup instead).
        migrations.RunPython(seal_details),
        migrations.RunPython(claimed_to_payable),
        migrations.RemoveField(
            model_name='incentive',
            name='payout_details',
        ),
    ]
