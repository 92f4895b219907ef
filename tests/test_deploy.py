import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.models import OutboundEmail, ScheduledJobRun

from .incentives.helpers import send_to
from .reliability.servers import MailServer, RedisServer, wait_for
from .run_helpers import Run, get
from .studies.conftest import study  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


def production_like_environ() -> dict:
    """This environment less what only tests set (the browser tests allow async-unsafe calls)."""
    test_only = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SECRET_KEY"}
    return {key: value for key, value in os.environ.items() if key not in test_only}


def production_environ() -> dict:
    return {
        **production_like_environ(),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "a-production-like-secret-key-with-enough-length-and-variety-9f8e7d6c5b4a",
        "PAYOUT_DETAILS_KEYS": "cHJvZHVjdGlvbi1saWtlLXBheW91dC1rZXktZm9yLXQ=",
        "DJANGO_ALLOWED_HOSTS": "incentives.example.com",
        "SITE_URL": "https://incentives.example.com",
        "EMAIL_HOST": "smtp.example.com",
    }


def test_check_deploy_passes_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_environ(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**production_like_environ(), "DJANGO_DEBUG": "false"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "Set DJANGO_SECRET_KEY" in result.stderr


# Run under the production settings themselves: a plain-HTTP request and an HTTPS one.
HEADERS_SCRIPT = """
import json
from django.conf import settings
from django.test import Client, override_settings
client = Client(HTTP_HOST="incentives.example.com")
# Static files as they are (no collectstatic here); every security setting stays production's.
with override_settings(STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}):
    plain, secure = client.get("/login/"), client.get("/login/", secure=True)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "hsts": secure.get("Strict-Transport-Security", ""),
    "csp": secure.get("Content-Security-Policy", ""),
    "csrf_cookie_secure": bool(secure.cookies["csrftoken"]["secure"]),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
}))
"""


def test_production_answers_with_https_only_hsts_secure_cookies_and_a_csp(capsys):
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", HEADERS_SCRIPT],
        cwd=ROOT, env=production_environ(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["plain"] == [301, "https://incentives.example.com/login/"]
    assert answer["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert answer["csrf_cookie_secure"] and answer["session_cookie_secure"]
    assert "script-src 'self' 'nonce-" in answer["csp"]
    with capsys.disabled():
        print(f"\n[deploy] http -> {answer['plain'][0]} https; HSTS “{answer['hsts']}”; secure cookies; CSP “{answer['csp'][:60]}…”")


def test_every_beat_entry_names_a_task_a_worker_registers():
    """Checked in a fresh process, as a worker starts: this one's Celery app is reconfigured by tests."""
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from config.celery import app\n"
        "app.loader.import_default_modules()\n"
        "print([name for name, entry in settings.CELERY_BEAT_SCHEDULE.items() if entry['task'] not in app.tasks])"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_wsgi_application_refuses_to_start_in_production_without_collected_static(tmp_path):
    env = {**production_environ(), "DJANGO_STATIC_ROOT": str(tmp_path / "static")}
    result = subprocess.run([sys.executable, "-c", "import config.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "Static files are not collected" in result.stderr and "manage.py serve" in result.stderr


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_production_path_gunicorn_worker_and_beat_serve_pages_and_send_email_without_a_prior_collectstatic(tmp_path, owner, study):
    """The Procfile under production settings, as the README's non-Docker path says: DATABASE_URL,
    REDIS_URL and EMAIL_HOST set, no collectstatic run beforehand."""
    redis_server = RedisServer()
    redis_server.start()
    with MailServer() as mail:
        run = Run(
            tmp_path, DJANGO_DEBUG="false", DJANGO_SECRET_KEY=production_environ()["DJANGO_SECRET_KEY"],
            PAYOUT_DETAILS_KEYS=production_environ()["PAYOUT_DETAILS_KEYS"], DJANGO_ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="false", DJANGO_STATIC_ROOT=str(tmp_path / "static"),
            REDIS_URL=redis_server.url, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(mail.port), WEB_CONCURRENCY="1",
        )
        run.start()
        try:
            status, page = get(f"{run.url}/login/")
            assert status == 200
            stylesheet = re.search(r'href="(/static/vendor/pico[^"]+\.css)"', page).group(1)
            assert get(run.url + stylesheet)[0] == 200
            assert run.json("/readyz") == {"status": "ok", "database": True, "broker": True}
            with run.tasks_to_this_broker():
                send_to(study, 1, actor=owner)
            email = OutboundEmail.objects.get()
            wait_for(lambda: mail.accepted == [email.pk], timeout=30, what="the worker sends the email over SMTP")
            wait_for(lambda: ScheduledJobRun.objects.filter(last_done_at__isnull=False).exists(), timeout=30, what="beat's jobs run")
            assert "gunicorn" in run.log().lower()
        finally:
            run.stop()
            redis_server.stop()
DATABASE_SCRIPT = """
import json
from django.conf import settings
print(json.dumps({key: settings.DATABASES["default"][key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}))
"""


def database_settings(env: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", DATABASE_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_keeps_database_connections_a_minute_with_health_checks():
    assert database_settings(production_environ()) == {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    assert database_settings({**production_environ(), "DB_CONN_MAX_AGE": "0"})["CONN_MAX_AGE"] == 0
    assert database_settings({**production_like_environ(), "DJANGO_DEBUG": "true"})["CONN_MAX_AGE"] == 0
