"""Who acts: set once at each way in, read by the database trigger that writes the audit log.

- web requests: `AuditContextMiddleware` (the client's address; the signed-in person once the
  view is known, otherwise "Public page" for the token pages);
- the API: its key authentication calls `identify_api_key`;
- Celery tasks (beat's jobs included): config/celery.py opens `acting(TASK, task name)` around
  each task;
- management commands: manage.py opens `acting(COMMAND, "manage.py <name>")`.

It rides on django-pghistory's context: inside `pghistory.context(...)` every write statement is
preceded by `set_config('pghistory.context_metadata', <json>, true)` in the same round trip (no
query of its own), local to the transaction, which `audit_record()` reads (audit/sql.py); each
block has an id, so one request's or task's changes can be told apart. Nested `acting` blocks (a
task run inline by a test, a command calling a service) act as the inner actor and give the
outer one back on leaving.
"""

import contextlib
import ipaddress
import threading
import uuid

import pghistory

from core.ratelimit import client_ip

from .kinds import ActorKind as Kind

_local = threading.local()


def _address(value) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""


def _fields(kind, label, *, user=None, api_key=None, ip=None) -> dict:
    fields = {"actor_kind": str(kind), "actor": str(label)[:200], "user": user, "api_key": api_key}
    if ip is not None:
        fields["ip"] = _address(ip)
    return fields


@contextlib.contextmanager
def acting(kind, label, *, user=None, api_key=None, ip=""):
    """Changes inside the block are made by this actor; a block nested in another acts as
    the inner actor and gives the outer one back on leaving.

    The settings are local to the transaction: a block that ends inside a transaction that
    goes on leaves them in force until it ends. Only a test does that (services own their
    transactions, and requests, tasks and commands start outside any), so nothing else can
    be recorded as the block's actor."""
    outer = getattr(_local, "fields", None)
    _local.fields = {**_fields(kind, label, user=user, api_key=api_key, ip=ip), "block": str(uuid.uuid4())}
    try:
        with pghistory.context(**_local.fields):  # nested: only updates the open one
            yield
    finally:
        _local.fields = outer
        if outer is not None:
            pghistory.context(**outer)


def identify(kind, label, *, user=None, api_key=None) -> None:
    """The actor of the block already open (the request's), now that it is known; its
    address stays."""
    if getattr(_local, "fields", None) is not None:
        _local.fields.update(_fields(kind, label, user=user, api_key=api_key))
        pghistory.context(**_local.fields)


def identify_api_key(key) -> None:
    identify(Kind.API_KEY, f"API key {key}", api_key=key.pk)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting(Kind.PUBLIC, "Public page", ip=client_ip(request)):
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            identify(Kind.USER, user.email, user=user.pk)


# Tasks: Celery's prerun and postrun signals open and close a block per task id.
_tasks: dict[str, contextlib.ExitStack] = {}


def task_started(task_id: str, name: str) -> None:
    stack = contextlib.ExitStack()
    stack.enter_context(acting(Kind.TASK, name))
    _tasks[task_id] = stack


def task_finished(task_id: str) -> None:
    stack = _tasks.pop(task_id, None)
    if stack is not None:
        stack.close()


# Commands that serve requests or tasks don't act themselves: each request and task does.
SERVING_COMMANDS = {"runserver", "serve", "testserver"}


def command(argv: list[str]):
    """The block a management command runs in (manage.py)."""
    name = argv[1] if len(argv) > 1 else ""
    if not name or name in SERVING_COMMANDS or name.startswith("-"):
        return contextlib.nullcontext()
    return acting(Kind.COMMAND, f"manage.py {name}")
