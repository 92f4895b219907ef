"""IdempotencyRecord moved to core (the API and bulk files both use it; rewards sits below the API).
Its rows are copied into core's table, ids and all, then the old table goes; backwards, the reverse."""

from django.db import migrations

COLUMNS = "id, organization_id, key, fingerprint, status_code, response, created_at"


def _copy(source: str, target: str) -> str:
    return (
        f"INSERT INTO {target} ({COLUMNS}) SELECT {COLUMNS} FROM {source}; "
        f"SELECT setval(pg_get_serial_sequence('{target}', 'id'), COALESCE((SELECT MAX(id) FROM {target}), 0) + 1, false);"
    )


class Migration(migrations.Migration):

    dependencies = [
        ("rewards", "0003_drop_unread_reason_before_cancel"),
        ("core", "0004_idempotency_record"),
    ]

    operations = [
        migrations.RunSQL(
            _copy("rewards_idempotencyrecord", "core_idempotencyrecord"),
            reverse_sql=_copy("core_idempotencyrecord", "rewards_idempotencyrecord"),
        ),
        migrations.RemoveConstraint(model_name="idempotencyrecord", name="idempotency_key_unique"),
        migrations.DeleteModel(name="IdempotencyRecord"),
    ]
