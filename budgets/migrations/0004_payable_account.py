"""Budgets gain a payable account: claimed incentives owed to participants, not yet paid."""

import django.db.models.deletion
from django.db import migrations, models


def create_payable_accounts(apps, schema_editor):
    """Every budget gets its payable account (empty: what claims owe moves in incentives.0004)."""
    db = schema_editor.connection.alias
    Budget = apps.get_model("budgets", "Budget")
    LedgerAccount = apps.get_model("budgets", "LedgerAccount")
    for budget in Budget.objects.using(db).filter(payable_account__isnull=True).order_by("pk"):
        budget.payable_account = LedgerAccount.objects.using(db).create(
            organization_id=budget.organization_id, kind="payable", currency=budget.currency,
            name=f"Budget “{budget.name}” payable",
        )
        budget.save(using=db, update_fields=["payable_account"])
    # The new foreign keys are checked now, so the ALTER TABLE after this may run.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('budgets', '0003_external_account_keeps_no_balance'),
    ]

    operations = [
        migrations.AddField(
            model_name='budget',
            name='payable_account',
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='budgets.ledgeraccount'),
        ),
        migrations.AlterField(
            model_name='ledgeraccount',
            name='kind',
            field=models.CharField(choices=[('external', 'External funding'), ('available', 'Available'), ('reserved', 'Reserved'), ('payable', 'Payable'), ('paid_out', 'Paid out'), ('held', 'Held'), ('redeemed', 'Redeemed')], max_length=20),
        ),
        migrations.AlterField(
            model_name='ledgertransaction',
            name='kind',
            field=models.CharField(choices=[('fund', 'Fund'), ('withdraw', 'Withdraw'), ('reserve', 'Reserve (send)'), ('release', 'Release (cancel or expire)'), ('settle', 'Settle (claim)'), ('payout_sent', 'Payout sent'), ('payout_returned', 'Payout returned'), ('payout_abandoned', 'Payout abandoned'), ('reclassify', 'Reclassified (claimed, not yet paid)'), ('reversal', 'Reversal'), ('reward_create', 'Reward created'), ('reward_release', 'Reward made available'), ('reward_redeem', 'Reward redeemed'), ('reward_cancel', 'Reward cancelled'), ('reward_uncancel', 'Reward un-cancelled'), ('reward_expire', 'Reward expired')], max_length=30),
        ),
        migrations.RunPython(create_payable_accounts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='budget',
            name='payable_account',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='budgets.ledgeraccount'),
        ),
    ]
