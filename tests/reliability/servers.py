"""What the fault tests start, break and start again, each on a spare port of its own so that
parallel test processes never meet: a private redis-server, an SMTP server that records every
email and refuses on demand, and a Celery worker in a process of its own (to be SIGKILLed)."""

import logging
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from email.parser import BytesHeaderParser
from pathlib import Path

import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from .helpers import url_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, *, timeout: float, what: str):
    """Poll `condition` until it returns something true; fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.05)
    return result


def _accepts_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


class RedisServer:
    """A redis-server of this test alone: stopping it stops nobody else's broker."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: _accepts_connections(self.port), timeout=10, what="redis-server starting")
        assert self.process.poll() is None, f"port {self.port} was taken by another server"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def drained(self, queue: str) -> bool:
        """Nothing waits in `queue` and no delivered task is left unacknowledged."""
        client = redis.Redis(port=self.port, socket_timeout=5)
        try:
            return client.llen(queue) == 0 and client.hlen("unacked") == 0
        finally:
            client.close()


class MailServer:
    """An SMTP server (aiosmtpd). It keeps the outbox id (the X-Outbox-Id header) of every email it
    accepts, in order, the Message-IDs each outbox id came with, and when each recipient was
    tried; `refuse` makes it answer a recipient with an SMTP error first."""

    def __init__(self):
        self.port = free_port()
        self.accepted: list[int] = []
        self.message_ids: dict[int, set[str]] = defaultdict(set)
        self.tries: dict[str, list[float]] = defaultdict(list)
        self._refusals: dict[str, list] = {}
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self._log_level = logging.getLogger("mail.log").level
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # not a line per SMTP command
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()
        logging.getLogger("mail.log").setLevel(self._log_level)

    def refuse(self, address: str, reply: str, *, times: int | None = None) -> None:
        """Answer RCPT TO `address` with `reply` (e.g. "451 4.7.1 Greylisted") the next `times`
        times, or always."""
        self._refusals[address] = [reply, times]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.tries[address].append(time.monotonic())
        refusal = self._refusals.get(address)
        if refusal and refusal[1] != 0:
            refusal[1] = None if refusal[1] is None else refusal[1] - 1
            return refusal[0]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        headers = BytesHeaderParser().parsebytes(envelope.content)
        self.message_ids[int(headers["X-Outbox-Id"])].add(headers["Message-ID"])
        self.accepted.append(int(headers["X-Outbox-Id"]))
        return "250 Message accepted for delivery"

    def mailers(self) -> dict:
        """The MAILERS setting of a project that sends through this server."""
        options = {"host": "127.0.0.1", "port": self.port, "timeout": 5}
        return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}}

    @property
    def duplicates(self) -> int:
        return len(self.accepted) - len(set(self.accepted))


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    return url_for(connection.settings_dict, connection.settings_dict["NAME"])


class WorkerProcess:
    """`celery -A config worker` (prefork) in a process group of its own, on the test database,
    `broker_url` and `mail`, with a short visibility timeout so the tasks of a killed worker
    come back in seconds. Each start logs to a file of its own in `log_dir`."""

    def __init__(self, *, broker_url: str, mail: MailServer, log_dir: Path, concurrency=2, visibility_timeout=3):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
            "DB_CONN_MAX_AGE": "60",  # a pool process keeps its connection from task to task
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(mail.port),
        }
        self.env.pop("REDIS_URL", None)  # the cache stays in the process
        self.concurrency = concurrency
        self.log_dir = log_dir
        self.starts = 0
        self.process = None

    def start(self) -> None:
        self.starts += 1
        with open(self.log_dir / f"worker-{self.starts}.log", "w") as log:
            self.process = subprocess.Popen(
                [Path(sys.executable).with_name("celery"), "-A", "config", "worker", "--pool=prefork",
                 f"--concurrency={self.concurrency}", "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "--loglevel=INFO"],
                cwd=settings.BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def children(self) -> list[int]:
        """The pool processes, which run the tasks."""
        pid = self.process.pid
        try:
            return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except FileNotFoundError:
            return []

    def kill_child(self) -> bool:
        """SIGKILL one pool process (the worker forks another); False if it has none yet."""
        children = self.children()
        if not children:
            return False
        os.kill(random.choice(children), signal.SIGKILL)
        return True

    def kill(self) -> None:
        """SIGKILL the whole worker: main process and pool, no chance to hand anything back."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return "".join(path.read_text() for path in sorted(self.log_dir.glob("worker-*.log")))
