from celery import shared_task

from . import services


@shared_task
def study_participants_complete_due() -> int:
    """Scheduled participants whose session has ended become done (beat, every minute)."""
    return services.study_participants_complete_due()
