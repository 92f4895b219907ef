import json
import os
import subprocess
import sys
from pathlib import Path

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
