"""The tables that came after the audit log started: approvals, payouts, reward programs and the
yearly tax thresholds (audit/tracked.py); payout details' sealed columns show as hidden."""

from django.db import migrations

from audit.sql import FUNCTION, install, uninstall

TABLES = [
    ("tenancy_taxthreshold", "tenancy.taxthreshold", "organization_id", None, ()),
    ("approvals_approval", "approvals.approval", "organization_id", None, ()),
    ("rewards_rewardprogram", "rewards.rewardprogram", "organization_id", None, ()),
    ("payouts_payoutbatch", "payouts.payoutbatch", "organization_id", None, ()),
    ("payouts_payout", "payouts.payout", "organization_id", ("batch_id", "payouts.payoutbatch"), ()),
]


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_track_tables"),
        ("approvals", "0001_initial"),
        ("payouts", "0001_initial"),
        ("rewards", "0005_programs_and_w9_audit"),
        ("tenancy", "0003_payout_settings_and_finance_role"),
        ("incentives", "0004_payouts"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION, migrations.RunSQL.noop),
        *(
            migrations.RunSQL(
                install(table, object_type, org_column=org_column, parent=parent, quiet=quiet), uninstall(table)
            )
            for table, object_type, org_column, parent, quiet in TABLES
        ),
    ]
