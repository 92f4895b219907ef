import logging
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings

from celery import current_app as celery_app

trace_logger = logging.getLogger("celery.app.trace")

# Each app's demo module has seed(demo, stdout); they run in this order and share `demo`.
SEEDERS = ["tenancy.demo", "budgets.demo", "offers.demo", "studies.demo", "incentives.demo", "rewards.demo", "payouts.demo", "incentives.demo_scale"]


class Command(BaseCommand):
    help = "Create (or top up) the demo organizations, people and data. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=0, help="also add this many incentives, for benchmarks")

    def handle(self, *args, scale, **options):
        demo = SimpleNamespace(scale=scale)
        # Demo people have made-up addresses: their emails stay in the outbox (/outbox/),
        # never reach a real mail server, and don't flood the console. So this command, and
        # only it, delivers its emails itself (tasks inline) into a memory mailbox.
        eager, trace_level = celery_app.conf.task_always_eager, trace_logger.level
        celery_app.conf.task_always_eager = True
        trace_logger.setLevel(logging.WARNING)  # not a line per demo email
        try:
            with override_settings(MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}):
                for module in SEEDERS:
                    with transaction.atomic():
                        import_module(module).seed(demo, self.stdout)
        finally:
            celery_app.conf.task_always_eager = eager
            trace_logger.setLevel(trace_level)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Log in at {settings.SITE_URL}/login/ with:"))
        for email, role in demo.logins:
            self.stdout.write(f"  {email:<24} {role:<32} password: {demo.password}")
