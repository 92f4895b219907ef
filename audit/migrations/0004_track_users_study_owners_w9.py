"""Users (one event per organization they belong to; their password hidden), study owners (in
the study's history) and W-9 submissions (in the incentive's history) are tracked. The trigger
function learns to find the organizations of a table that has no organization column."""

from django.db import migrations

from audit.sql import FUNCTION, install, uninstall

TABLES = [
    ("tenancy_user", "tenancy.user", "tenancy_membership.user_id=id", None, ("last_login",)),
    ("studies_study_owners", "studies.study_owners", "studies_study.id=study_id", ("study_id", "studies.study"), ()),
    ("incentives_w9submission", "incentives.w9submission", "organization_id", ("incentive_id", "incentives.incentive"), ()),
]


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_track_approvals_payouts_programs_thresholds"),
        ("incentives", "0005_w9_submission"),
        ("studies", "0003_w9"),
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
