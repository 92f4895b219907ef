"""Every migration applies forwards on a database holding the demo data, and every migration of
our apps can be unapplied with the data in it (or says it is irreversible).

How. The demo data can only be made at the latest state (seed_demo uses today's models), so on a
scratch database of this run's own (a unique name: parallel runs never meet; dropped at the end):

1. migrate to the latest state and run seed_demo;
2. with the MigrationExecutor, unapply every later migration of our apps, back to the earliest
   state that still has the demo data's tables: each app's initial migration plus what it depends
   on (and any irreversible migration, which can't be unapplied: reported). The rows stay, in the
   shape the backwards migrations give them: the database an earlier release would hold;
3. apply every migration forwards again: each later migration runs on those rows;
4. compare every value of every table of our apps with step 1: all equal, except (reported)
   - columns and tables that a later migration adds: the earlier schema has no place for them,
     so unapplying that migration drops them (a renamed column keeps its values and passes);
   - REISSUED: secrets a data migration issues anew each time it runs forwards; for those the
     round trip must keep which rows have one;
   and `verify_ledger` passes on the migrated database;
5. unapply every migration of our apps, down to zero, with the data in it.

Step 3 is the upgrade a database of the first release would go through, all later migrations
in one run. Not covered: an initial migration, which creates its app's tables, runs here before
the demo data exists, since that data can't exist before its tables do.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from .helpers import report, url_for
from .test_backup import ROOT, conninfo

# offers 0002 stopped storing raw tokens: it gives every offer link, widget and group member a
# new nonce and token each time it runs forwards (pre-release: the old links stop working).
REISSUED = {
    ("offers_offer", "link_nonce"),
    ("offers_offer", "link_hash"),
    ("offers_offer", "widget_nonce"),
    ("offers_offer", "widget_hash"),
    ("offers_offermember", "token_nonce"),
    ("offers_offermember", "token_hash"),
}

OUR_APPS = [config.label for config in apps.get_app_configs() if Path(config.path).parent == ROOT]


def refuse(*args, **kwargs):
    raise AssertionError("A migration used the default database: query through schema_editor.connection.alias.")


@pytest.fixture
def scratch(django_db_blocker, monkeypatch):
    """The alias of a new, empty database of this test's own; dropped afterwards.

    The default database is refused meanwhile, so a migration that ignores
    schema_editor.connection.alias fails here instead of writing to another database.
    """
    settings_dict = connections["default"].settings_dict
    monkeypatch.setattr(connections["default"], "ensure_connection", refuse)
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**conninfo(settings_dict, "postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    connections.settings[name] = {**settings_dict, "NAME": name}
    try:
        with django_db_blocker.unblock():
            yield name
    finally:
        connections[name].close()
        del connections[name]
        del connections.settings[name]
        with psycopg.connect(**conninfo(settings_dict, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(alias: str, *args: str) -> subprocess.CompletedProcess:
    """A management command run against the scratch database, with Celery eager (no broker)."""
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env["DATABASE_URL"] = url_for(connections[alias].settings_dict, alias)
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2_000:]
    return done


def snapshot(connection) -> dict[tuple[str, str], list]:
    """Every value of every column of our apps' tables (those that exist), rows in primary key order."""
    values = {}
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for label in OUR_APPS:
            for model in apps.get_app_config(label).get_models(include_auto_created=True):
                table = model._meta.db_table
                if table not in existing or model._meta.proxy or not model._meta.managed:
                    continue
                quote = connection.ops.quote_name
                cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(model._meta.pk.column)}")
                rows = cursor.fetchall()
                for index, column in enumerate(cursor.description):
                    values[table, column.name] = [row[index] for row in rows]
    return values


def rows_of(values: dict) -> dict[str, int]:
    return {table: len(column) for (table, _), column in values.items()}


def closure(graph, nodes) -> set:
    """The migrations and everything they depend on."""
    return {node for start in nodes for node in graph.forwards_plan(start)}


def target(graph, nodes, app) -> tuple[str, str | None]:
    """The app at its latest migration among `nodes` (or at zero: None)."""
    mine = [node for node in nodes if node[0] == app]
    return max(mine, key=lambda node: len(graph.forwards_plan(node)), default=(app, None))


def migrate(alias, targets) -> list[str]:
    """Migrate the scratch database to `targets` with a fresh executor; the migrations it ran."""
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(targets)
    executor.migrate(targets, plan=plan)
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def test_every_migration_applies_forwards_on_the_demo_data_and_unapplies(scratch, capsys):
    began = time.perf_counter()
    call_command("migrate", database=scratch, verbosity=0)
    manage(scratch, "seed_demo")
    connection = connections[scratch]
    seeded = snapshot(connection)
    assert rows_of(seeded)["rewards_reward"] and rows_of(seeded)["offers_offermember"]  # the demo is there

    graph = MigrationExecutor(connection).loader.graph
    ours = [node for node in graph.nodes if node[0] in OUR_APPS]
    irreversible = sorted(node for node in ours if not all(op.reversible for op in graph.nodes[node].operations))
    initials = [root for app in OUR_APPS for root in graph.root_nodes(app)]
    earliest = closure(graph, initials + irreversible)
    unapplied = migrate(scratch, [target(graph, earliest, app) for app in OUR_APPS])
    assert unapplied, "no later migration to test"
    early = snapshot(connection)
    applied = migrate(scratch, graph.leaf_nodes())
    assert sorted(applied) == sorted(unapplied)
    migrated = snapshot(connection)

    changed = {key for key, column in seeded.items() if migrated.get(key) != column}
    dropped = {key for key in changed if key not in early}  # came with a later migration
    assert changed - dropped - REISSUED == set(), "the round trip changed these columns"
    for key in changed & REISSUED:
        assert [value is None for value in migrated[key]] == [value is None for value in seeded[key]], key
    assert "Ledger OK" in manage(scratch, "verify_ledger").stdout

    kept = closure(graph, irreversible)
    to_zero = migrate(scratch, [target(graph, kept, app) for app in OUR_APPS])
    assert set(MigrationRecorder(connection).applied_migrations()) & set(ours) == kept & set(ours)
    assert kept or not snapshot(connection), "tables left after unapplying every migration"

    others = {name.split(".")[0] for name in to_zero} - set(OUR_APPS)
    early_rows, seeded_rows = rows_of(early), rows_of(seeded)
    lost = [f"table {table} ({rows} rows)" for table, rows in seeded_rows.items() if table not in early_rows]
    lost += [
        f"{table}.{column} ({sum(a != b for a, b in zip(seeded[table, column], migrated[table, column], strict=True))} of {early_rows[table]})"
        for table, column in sorted(dropped - REISSUED)
        if table in early_rows
    ]
    report(
        capsys,
        f"[migrations] {len(ours)} migrations in {len(OUR_APPS)} apps. Seeded {sum(seeded_rows.values())} rows; "
        f"{len(unapplied)} later migrations unapplied, then applied forwards again on {sum(early_rows.values())} rows "
        f"in {len(early_rows)} tables, every one kept; {len(seeded) - len(changed)} of {len(seeded)} columns identical, "
        f"{len(changed & REISSUED)} re-issued secret columns kept who has one; lost by unapplying: {', '.join(lost) or 'nothing'}; "
        f"verify_ledger OK. {len(to_zero)} migrations unapplied to zero with the data in ({', '.join(sorted(others))} "
        f"included, which depend on ours); irreversible: "
        f"{', '.join(map('.'.join, irreversible)) or 'none'}. {time.perf_counter() - began:.1f} s",
    )
