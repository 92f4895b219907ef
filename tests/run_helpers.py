"""The Procfile's processes (web, worker, beat) under honcho, as `make run` starts them, on the
test database and an embedded Redis of the test's own (REDIS_URL unset), beat's periods cut to
one second."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from django.conf import settings

from config import embedded_redis

from .conftest import celery_broker
from .reliability.servers import database_url, free_port, wait_for

BIN = Path(sys.executable).parent


def get(url: str, cookie: str = "") -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Run:
    def __init__(self, tmp_path: Path, **extra_env):
        self.redis_dir = tmp_path / "redis"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = tmp_path / "honcho.log"
        self.env = {
            **{key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "CELERY_BROKER_URL"}},
            "PATH": f"{BIN}:{os.environ['PATH']}",
            "DATABASE_URL": database_url(),
            "EMBEDDED_REDIS_DIR": str(self.redis_dir),
            "CELERY_BEAT_PERIOD": "1",
            "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "beat-schedule"),
            "SITE_URL": self.url,
            "HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        self.broker_url = self.env.get("REDIS_URL") or embedded_redis.broker_url(self.redis_dir)
        self.process = None

    def start(self):
        self.output_file = open(self.output, "w")
        self.process = subprocess.Popen(
            [BIN / "honcho", "start", "--no-colour", "--port", str(self.port)], cwd=settings.BASE_DIR, env=self.env,
            stdout=self.output_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for(self._web_answers, timeout=40, what="the web process answers")

    def _web_answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"honcho stopped:\n{self.log()}")
        try:
            return get(f"{self.url}/healthz")[0] == 200
        except OSError:
            return False

    def json(self, path: str) -> dict:
        return json.loads(get(f"{self.url}{path}")[1])

    def log(self) -> str:
        return self.output.read_text()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # Ctrl-C
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.output_file.close()
        if self.redis_dir.exists():
            embedded_redis.stop(self.redis_dir)

    @contextlib.contextmanager
    def tasks_to_this_broker(self):
        """This test process's tasks go to the run's broker (its worker takes them)."""
        with celery_broker(self.broker_url, "celery"):
            yield
