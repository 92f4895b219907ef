import os
import shutil
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "The web process of the Procfile, on $HOST:$PORT (127.0.0.1:8000): runserver with "
        "DJANGO_DEBUG on; in production, collectstatic and then gunicorn."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, host, port, **options):
        if settings.DEBUG:
            call_command("runserver", f"{host}:{port}")
            return
        # Production serves static files from STATIC_ROOT through a manifest: collect them
        # first, so no page answers 500 for a missing manifest entry.
        call_command("collectstatic", interactive=False, verbosity=0)
        beside = Path(sys.executable).parent / "gunicorn"
        gunicorn = str(beside) if beside.exists() else shutil.which("gunicorn")
        if gunicorn is None:
            raise CommandError("gunicorn is not installed in this environment.")
        workers = os.environ.get("WEB_CONCURRENCY", "3")
        os.execv(gunicorn, [
            gunicorn, "config.wsgi", "--bind", f"{host}:{port}", "--workers", workers,
            "--timeout", os.environ.get("GUNICORN_TIMEOUT", "120"),
        ])
