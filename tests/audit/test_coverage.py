"""Every tenant-owned model is tracked or says why not, and the database's triggers are the ones
audit/tracked.py lists."""

from django.apps import apps
from django.db import connection

from audit.sql import TRIGGER
from audit.tracked import NOT_TRACKED, TRACKED
from tenancy.models import TenantModel


def test_every_tenant_model_is_tracked_or_says_why_not():
    tracked = {t.model for t in TRACKED}
    tenant_models = {m._meta.label for m in apps.get_models() if issubclass(m, TenantModel)}
    undecided = tenant_models - tracked - set(NOT_TRACKED)
    assert not undecided, f"Add these to audit/tracked.py (and a migration) or to NOT_TRACKED: {sorted(undecided)}"
    assert not tracked & set(NOT_TRACKED)


def test_the_database_tracks_exactly_the_listed_tables_with_their_settings(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, encode(t.tgargs, 'escape') FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = %s",
            [TRIGGER],
        )
        installed = {table: args.split("\\000")[:-1] for table, args in cursor.fetchall()}
    expected = {}
    for t in TRACKED:
        model = apps.get_model(t.model)
        parent_column, parent_type = t.parent or ("", "")
        expected[model._meta.db_table] = [model._meta.label_lower, t.org_column, parent_column, parent_type, ",".join(t.quiet)]
    assert installed == expected
