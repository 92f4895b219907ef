from importlib import import_module
from types import SimpleNamespace

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings

# Each app's demo module has seed(demo, stdout); they run in this order and share `demo`.
SEEDERS = ["tenancy.demo", "budgets.demo", "offers.demo", "studies.demo", "incentives.demo", "rewards.demo", "incentives.demo_scale"]


class Command(BaseCommand):
    help = "Create (or top up) the demo organizations, people and data. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=0, help="also add this many incentives, for benchmarks")

    def handle(self, *args, scale, **options):
        demo = SimpleNamespace(scale=scale)
        # Demo people have made-up addresses: their emails stay in the outbox (/outbox/),
        # never reach a real mail server, and don't flood the console.
        with override_settings(MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}):
            for module in SEEDERS:
                with transaction.atomic():
                    import_module(module).seed(demo, self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000/login/ with:"))
        for email, role in demo.logins:
            self.stdout.write(f"  {email:<24} {role:<32} password: {demo.password}")
