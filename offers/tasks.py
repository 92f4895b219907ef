from celery import shared_task

from . import notifications, services


@shared_task
def offers_expire() -> int:
    return services.offers_expire()


@shared_task
def offers_mark_no_response() -> int:
    return services.offers_mark_no_response()


@shared_task
def offers_provider_digest() -> int:
    return notifications.provider_digests()
