"""`make stop` (config/stop.py) stops what `make run` left, whatever state it is in."""

import os
import subprocess
import sys

import pytest

from config import embedded_db, embedded_redis, stop


def test_every_process_marked_with_this_clone_is_stopped_even_orphans_in_their_own_groups(monkeypatch, capsys):
    mark = f"/tmp/clone-{os.getpid()}"
    monkeypatch.setattr(stop, "ROOT", mark)
    env = {**os.environ, stop.MARK: mark}
    # A web process in a group of its own whose honcho is gone, and one that ignores SIGTERM.
    orphan = subprocess.Popen(["sleep", "300"], env=env, start_new_session=True)
    stubborn = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(300)"], env=env, stdout=subprocess.PIPE, start_new_session=True)
    stubborn.stdout.readline()
    bystander = subprocess.Popen(["sleep", "300"], env={**os.environ, stop.MARK: "/another/clone"})
    try:
        monkeypatch.setattr(stop.psutil, "wait_procs", _quick(stop.psutil.wait_procs))
        stop.stop_processes()
        assert orphan.wait(timeout=5) is not None and stubborn.wait(timeout=5) is not None
        assert bystander.poll() is None
        assert "Stopped 2 processes" in capsys.readouterr().out
        stop.stop_processes()
        assert "No web, worker or beat process" in capsys.readouterr().out
    finally:
        for process in (orphan, stubborn, bystander):
            process.kill()
            process.wait()


def _quick(wait_procs):
    return lambda processes, timeout: wait_procs(processes, timeout=min(timeout, 2))


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded_db, "DATA_DIR", tmp_path)
    monkeypatch.setattr(embedded_db, "HANDLES", tmp_path / ".handle_pids.json")
    return tmp_path


@pytest.mark.parametrize("content", ["", "[12", "not json"])
def test_an_empty_or_broken_handle_list_is_repaired_instead_of_failing(data_dir, content):
    (data_dir / ".handle_pids.json").write_text(content)
    embedded_db._repair_handles()
    assert (data_dir / ".handle_pids.json").read_text() == "[]"


def test_a_stale_postmaster_pid_is_not_running_and_stop_says_so(data_dir, capsys):
    dead = subprocess.Popen(["true"])
    dead.wait()
    (data_dir / "postmaster.pid").write_text(f"{dead.pid}\n{data_dir}\n")
    (data_dir / ".handle_pids.json").write_text("")
    assert embedded_db.running_pid() is None
    embedded_db.stop()
    assert "is not running" in capsys.readouterr().out
    assert (data_dir / ".handle_pids.json").read_text() == "[]"


def test_a_pid_file_naming_another_program_is_not_taken_for_postgres(data_dir):
    (data_dir / "postmaster.pid").write_text(f"{os.getpid()}\n")
    assert embedded_db.running_pid() is None


def test_the_embedded_redis_starts_once_keeps_its_data_and_stops_by_its_pid(tmp_path):
    import redis

    data_dir = tmp_path / "r"
    embedded_redis.ensure_running(data_dir)
    embedded_redis.ensure_running(data_dir)  # already answering: no second server
    client = redis.Redis(unix_socket_path=str(embedded_redis.socket_path(data_dir)))
    client.set("kept", "yes")
    pid = embedded_redis.running_pid(data_dir)
    embedded_redis.stop(data_dir)
    assert embedded_redis.running_pid(data_dir) is None and not embedded_redis._answers(data_dir)
    assert embedded_redis.wait_gone(pid, 0.1)
    embedded_redis.ensure_running(data_dir)
    try:
        assert client.get("kept") == b"yes"
    finally:
        embedded_redis.stop(data_dir)
