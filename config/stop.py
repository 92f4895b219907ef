"""`make stop`: stop everything `make run` started in this clone, whatever state it is in.

`make run` marks its processes with GRATIA_RUN=<this clone's directory> in their environment
(honcho, the web server and its reloader, the worker and its pool, beat): every process with
that mark is stopped, also orphans of a crashed or killed honcho. Then the embedded Redis and
the embedded PostgreSQL, by their pid files (a stale or missing pid file is no error).
"""

import os
import sys

import psutil

from config import embedded_db, embedded_redis

ROOT = str(embedded_db.DATA_DIR.parent.parent)
MARK = "GRATIA_RUN"
SERVERS = {"postgres", "redis-server"}  # stopped below, in their own way


def marked_processes() -> list[psutil.Process]:
    mine = {os.getpid(), *(parent.pid for parent in psutil.Process().parents())}
    found = []
    for process in psutil.process_iter(["name"]):
        if process.pid in mine or process.info["name"] in SERVERS:
            continue
        try:
            if process.environ().get(MARK) == ROOT:
                found.append(process)
        except psutil.Error:
            continue
    return found


def stop_processes() -> None:
    processes = marked_processes()
    if not processes:
        print("No web, worker or beat process of this clone is running.")
        return
    for process in processes:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(processes, timeout=15)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(alive, timeout=5)
    if alive:
        sys.exit(f"Still running: {', '.join(str(p.pid) for p in alive)}")
    print(f"Stopped {len(processes)} processes (web, worker, beat).")


def main() -> None:
    stop_processes()
    embedded_redis.stop()
    embedded_db.stop()


if __name__ == "__main__":
    main()
