"""Helpers of the reliability tests: threads that start at the same moment, each on its own
database connection, a work queue they share, and the line each test prints."""

import queue
import threading
import time
from collections import Counter
from urllib.parse import quote

from django.db import connection

from budgets.services import LedgerError
from incentives.services import IncentiveError

# PostgreSQL here allows 100 connections, shared with other test runs: a pool, not one thread per task.
POOL = 40


def run_together(work, *, threads: int = POOL) -> float:
    """Call `work(index)` in `threads` threads released together; returns the seconds they took.

    Each thread closes its connection when done; an exception that escapes `work` is raised here.
    """
    start = threading.Barrier(threads + 1)
    escaped = []

    def target(index):
        try:
            start.wait()
            work(index)
        except BaseException as error:
            escaped.append(error)
        finally:
            connection.close()

    pool = [threading.Thread(target=target, args=(index,)) for index in range(threads)]
    for thread in pool:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    if escaped:
        raise escaped[0]
    return elapsed


def outcome(action) -> str:
    """"ok", the refusal's code, or "error: ..." for anything a caller would see as a server error."""
    try:
        action()
    except (LedgerError, IncentiveError) as refusal:
        return refusal.code
    except Exception as error:  # counted and shown by the assertions, never hidden
        return f"error: {error!r}"
    return "ok"


def errors(outcomes) -> Counter:
    return Counter(result for result in outcomes if result.startswith("error"))


def shared_queue(items) -> queue.SimpleQueue:
    todo = queue.SimpleQueue()
    for item in items:
        todo.put(item)
    return todo


def drain(todo: queue.SimpleQueue):
    """The queue's items until it is empty; threads sharing it each take the next one."""
    while True:
        try:
            yield todo.get_nowait()
        except queue.Empty:
            return


def report(capsys, line: str) -> None:
    """Print a test's figures even though pytest captures output."""
    with capsys.disabled():
        print(f"\n{line}")


def url_for(settings_dict: dict, name: str) -> str:
    """A DATABASE_URL for database `name` on the server of `settings_dict`, over TCP or the
    embedded server's socket directory alike (a subprocess's way to the test database)."""
    user, password = quote(settings_dict.get("USER") or ""), quote(settings_dict.get("PASSWORD") or "")
    host, port = settings_dict.get("HOST") or "", settings_dict.get("PORT") or ""
    return f"postgresql://{user}:{password}@/{name}?host={quote(host)}" + (f"&port={port}" if port else "")
