"""A seeded database dumped and restored into a fresh one keeps a sound ledger and identical balances."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from budgets.models import LedgerAccount
from config import backup

from .helpers import url_for

ROOT = Path(__file__).resolve().parents[2]


def conninfo(settings_dict: dict, name: str) -> dict:
    keys = {"host": "HOST", "port": "PORT", "user": "USER", "password": "PASSWORD"}
    return {"dbname": name, **{k: settings_dict[v] for k, v in keys.items() if settings_dict.get(v)}}


@pytest.mark.django_db(transaction=True)
def test_a_dump_restores_into_a_fresh_database_with_identical_balances(tmp_path, capsys):
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    balances = dict(LedgerAccount.objects.values_list("pk", "balance_minor"))
    assert balances

    settings_dict = connection.settings_dict
    dump_file = backup.dump(settings_dict, tmp_path / "seeded.dump")
    fresh = f"restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**conninfo(settings_dict, "postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{fresh}"')
    try:
        backup.restore({**settings_dict, "NAME": fresh}, dump_file)
        with psycopg.connect(**conninfo(settings_dict, fresh)) as restored:
            restored_balances = dict(restored.execute("SELECT id, balance_minor FROM budgets_ledgeraccount"))
        assert restored_balances == balances
        verify = subprocess.run(
            [sys.executable, "manage.py", "verify_ledger"],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": url_for(settings_dict, fresh)},
            capture_output=True, text=True, timeout=120,
        )
        assert verify.returncode == 0, verify.stderr
        assert "Ledger OK" in verify.stdout
        with capsys.disabled():
            print(f"\n[backup] dump of {dump_file.stat().st_size // 1024} KiB restored into a fresh database: "
                  f"{len(restored_balances)} of {len(balances)} account balances identical, verify_ledger OK")
    finally:
        with psycopg.connect(**conninfo(settings_dict, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
