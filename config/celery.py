import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("incentives")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Modules of beat jobs not named tasks.py (incentives/policy_tasks.py).
app.autodiscover_tasks(related_name="policy_tasks")
