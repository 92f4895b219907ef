from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self):
        # Register job_run as soon as Django starts: a web process queues it from job_start,
        # possibly after Celery has finalized its task registry.
        from . import tasks  # noqa: F401
