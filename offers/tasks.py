from celery import shared_task

from . import services


@shared_task
def offers_expire() -> int:
    return services.offers_expire()


@shared_task
def offers_mark_no_response() -> int:
    return services.offers_mark_no_response()
