"""Tasks handed to the broker once the transaction commits, without a broker outage failing the
request: what was committed stays, and a beat job finds what never reached a worker (the outbox
sweep, the jobs sweep)."""

import logging
import time

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnreachable

logger = logging.getLogger(__name__)

# Once the broker could not be reached, the tasks of the next half minute don't try it again one
# by one (each try takes up to seconds: a send to 500 people would hang); the sweeps queue them.
BROKER_PAUSE_SECONDS = 30.0
_broker_paused_until = 0.0


def enqueue_on_commit(task, *args) -> None:
    """Queue `task(*args)` when the current transaction commits."""
    transaction.on_commit(lambda: _enqueue(task, args))


def _enqueue(task, args) -> None:
    global _broker_paused_until
    if time.monotonic() < _broker_paused_until:
        return
    try:
        task.delay(*args)
    except BrokerUnreachable as error:
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning("The task broker can't be reached (%s); %s waits for its sweep.", error, task.name)


def requeue(task, queryset) -> int:
    """Queue `task(pk)` again for each row of `queryset`: rows committed whose task never reached
    a worker (the sweeps); the tasks are idempotent, so a row queued twice is done once."""
    ids = list(queryset.values_list("pk", flat=True))
    for pk in ids:
        task.delay(pk)
    return len(ids)
