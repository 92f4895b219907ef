"""Shared fixtures: two organizations, a user per role, clients logged in as them, and a real
Celery worker for the tests that are about the queue."""

import contextlib
import os

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from config import celery_app
from tenancy.models import Membership

from .factories import OrganizationFactory, make_budget, member

Role = Membership.Role


def pytest_configure(config):
    from django.conf import settings

    from core.i18n import compile_catalogues

    # The French pages read the compiled catalogues: a .po edited since is compiled first.
    compile_catalogues()

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tasks run inline unless a test starts a real worker (the `celery_worker` fixture).
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    # Every task module now, as a worker imports them at its start: a module first imported
    # inside a real-worker test (celery.contrib.testing's start_worker swaps Celery's app state
    # for the test and restores it after) would have its tasks registered with that state only,
    # and be NotRegistered for the rest of the run (payouts.tasks, incentives.policy_tasks).
    celery_app.loader.import_default_modules()


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request leaves its language active in the thread (LocaleMiddleware activates, nothing
    deactivates): the next test starts in the default language again."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Acme Research", slug="acme-test")


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Globex", slug="globex-test")


@pytest.fixture
def owner(organization):
    return member(organization, Role.OWNER)


@pytest.fixture
def admin_user(organization):
    return member(organization, Role.ADMIN)


@pytest.fixture
def researcher(organization):
    return member(organization, Role.RESEARCHER)


@pytest.fixture
def viewer(organization):
    return member(organization, Role.VIEWER)


@pytest.fixture
def outsider(other_organization):
    """An owner of the other organization: sees its own data, never ours."""
    return member(other_organization, Role.OWNER)


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def budget(organization, owner):
    return make_budget(organization, name="Interviews", funds_minor=100_000, actor=owner)


REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _reconfigure(values):
    celery_app.close()  # drop connections made for the previous broker
    celery_app.__dict__.pop("amqp", None)  # its queues, exchange and router were built from the old settings
    celery_app.conf.update(values)


@contextlib.contextmanager
def celery_broker(broker_url: str, queue: str):
    """Tasks stop running eagerly and go to this broker's `queue` until the block ends."""
    conf = celery_app.conf
    own = dict(
        broker_url=broker_url, task_always_eager=False,
        task_default_queue=queue, task_default_exchange=queue, task_default_routing_key=queue,
    )
    saved = {key: conf[key] for key in own}
    _reconfigure(own)
    try:
        yield
    finally:
        _reconfigure(saved)


@contextlib.contextmanager
def worker_thread(broker_url: str = REDIS_URL, *, pool: str = "solo", concurrency: int = 1):
    """A real Celery worker, a thread of this process, on `broker_url`, with a queue of its own
    (so other test processes' workers never take these tasks); yields the queue's name.
    `pool="threads"` runs `concurrency` tasks at once."""
    from celery.contrib.testing.worker import start_worker

    queue = f"tests-{os.getpid()}"
    with celery_broker(broker_url, queue):
        with start_worker(
            celery_app, pool=pool, concurrency=concurrency, perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ):
            yield queue
        with celery_app.connection_for_write() as connection:  # leave nothing of this queue in Redis
            connection.default_channel.client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


@pytest.fixture
def celery_worker(transactional_db):
    """A worker thread on the real Redis. A test polls the database for the effects of its
    tasks (there is no result backend)."""
    with worker_thread() as queue:
        yield queue


@pytest.fixture
def concurrent_celery_worker(transactional_db):
    """A real worker running four tasks at once (a threads pool), for duplicates that overlap."""
    with worker_thread(pool="threads", concurrency=4) as queue:
        yield queue
