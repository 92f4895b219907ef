"""The audit log starts: the trigger function and a trigger on every tracked table (audit/tracked.py).

The tables are listed here as they were when this migration was written; a later migration
that tracks another table calls audit.sql.install for it."""

from django.db import migrations

from audit.sql import DROP_FUNCTION, FUNCTION, install, uninstall

# (table, object type, organization column, parent (column, type), quiet columns)
TABLES = [
    ("tenancy_organization", "tenancy.organization", "id", None, ()),
    ("tenancy_membership", "tenancy.membership", "organization_id", None, ()),
    ("tenancy_apikey", "tenancy.apikey", "organization_id", None, ("last_used_at",)),
    ("budgets_budget", "budgets.budget", "organization_id", None, ()),
    ("budgets_ledgertransaction", "budgets.ledgertransaction", "organization_id", ("budget_id", "budgets.budget"), ()),
    ("studies_study", "studies.study", "organization_id", None, ()),
    ("studies_participant", "studies.participant", "organization_id", None, ()),
    ("studies_studyparticipant", "studies.studyparticipant", "organization_id", ("study_id", "studies.study"), ()),
    ("incentives_incentive", "incentives.incentive", "organization_id", ("study_id", "studies.study"), ("claim_email_id", "release_transaction_id")),
    ("offers_providerprofile", "offers.providerprofile", "organization_id", None, ()),
    ("offers_incentiveprogram", "offers.incentiveprogram", "organization_id", None, ()),
    ("offers_linktemplate", "offers.linktemplate", "organization_id", None, ()),
    ("offers_offer", "offers.offer", "organization_id", None, ("last_activity_at",)),
    ("offers_offermember", "offers.offermember", "organization_id", ("offer_id", "offers.offer"), ()),
    ("offers_message", "offers.message", "organization_id", ("offer_id", "offers.offer"), ()),
    ("offers_distribution", "offers.distribution", "organization_id", ("offer_id", "offers.offer"), ()),
    ("rewards_rewardaccount", "rewards.rewardaccount", "organization_id", None, ()),
    ("rewards_advocate", "rewards.advocate", "organization_id", ("account_id", "rewards.rewardaccount"), ()),
    ("rewards_reward", "rewards.reward", "organization_id", ("account_id", "rewards.rewardaccount"), ()),
    ("rewards_redemption", "rewards.redemption", "organization_id", ("reward_id", "rewards.reward"), ()),
    ("webhooks_webhookendpoint", "webhooks.webhookendpoint", "organization_id", None, ()),
    ("jobs_backgroundjob", "jobs.backgroundjob", "organization_id", None,
     ("processed", "done_count", "skipped_count", "failed_count", "summary")),
]


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("budgets", "0001_initial"),
        ("core", "0006_outbox_next_attempt_at"),
        ("incentives", "0003_release_transaction"),
        ("jobs", "0001_initial"),
        ("offers", "0002_secret_tokens"),
        ("rewards", "0004_idempotency_record_moves_to_core"),
        ("studies", "0002_sort_indexes"),
        ("tenancy", "0002_expire_policy_and_reminder_max"),
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION, DROP_FUNCTION),
        *(
            migrations.RunSQL(
                install(table, object_type, org_column=org_column, parent=parent, quiet=quiet), uninstall(table)
            )
            for table, object_type, org_column, parent, quiet in TABLES
        ),
    ]
