from celery import shared_task

from . import services


@shared_task
def rewards_release_due():
    """Scheduled rewards whose pending period has ended become available (beat, every minute)."""
    return services.rewards_release_due()


@shared_task
def rewards_expire_due():
    return services.rewards_expire_due()
