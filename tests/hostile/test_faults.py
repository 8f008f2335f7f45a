"""Faults of the machine (issue 17.10): Ctrl-C, SIGTERM and a full disk end a run with exit 3
(not 1, "some records rejected"), a last line saying what was written, and output, decision log
and store that agree. On 7cf748f Ctrl-C exited 1 with the store's run marked finished, SIGTERM
left output, log and store with different counts, and a full disk gave a traceback."""

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from devrecs.oversight.decisionlog import DecisionLog


def people(path, n):
    with path.open("w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"p{i}", "track": "individual_contributor", "performance": "high",
                                "level": 1 + i % 5, "aspiration": "technical"}) + "\n")
    return path


def start_batch(tmp_path, n=60_000):
    src = people(tmp_path / "people.jsonl", n)
    args = [sys.executable, "-m", "devrecs.cli", "batch", str(src), "--out", str(tmp_path / "out.jsonl"),
            "--store", str(tmp_path / "store.db"), "--audience", "hr", "--log", str(tmp_path / "log.jsonl")]
    env = dict(os.environ, DEVRECS_DISABLE_PLUGINS=os.environ.get("DEVRECS_DISABLE_PLUGINS", ""))
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=tmp_path)


def wait_for_rows(path, timeout=120):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and path.stat().st_size > 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"no output in {path} after {timeout} s")


@pytest.mark.parametrize("signum, word", [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "")])
def test_a_signal_ends_a_batch_with_exit_3_and_agreeing_outputs(tmp_path, signum, word):
    child = start_batch(tmp_path)
    wait_for_rows(tmp_path / "out.jsonl.partial")
    child.send_signal(signum)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 3, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("interrupted (") and (word in last), last
    assert "Traceback" not in err
    assert not (tmp_path / "out.jsonl").exists()          # never a file that looks whole
    rows = (tmp_path / "out.jsonl.partial").read_text().splitlines()
    logged = (tmp_path / "log.jsonl").read_text().splitlines()
    with sqlite3.connect(tmp_path / "store.db") as db:
        (finished, stored_people), = db.execute("SELECT finished_at, people FROM runs").fetchall()
    assert finished is None
    assert len(rows) == len(logged) == stored_people, (len(rows), len(logged), stored_people)
    assert f"{len(rows)} rows are in {tmp_path / 'out.jsonl.partial'}" in last
    assert f"the decision log has their {len(logged)} lines" in last


def test_a_finished_batch_renames_its_output_and_marks_its_run_finished(tmp_path):
    child = start_batch(tmp_path, n=300)
    _, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    assert (tmp_path / "out.jsonl").exists() and not (tmp_path / "out.jsonl.partial").exists()
    with sqlite3.connect(tmp_path / "store.db") as db:
        (finished, stored_people), = db.execute("SELECT finished_at, people FROM runs").fetchall()
    assert finished is not None and stored_people == 300


def test_a_full_disk_under_the_decision_log_is_exit_3_with_no_traceback(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("this system has no /dev/full")
    src = people(tmp_path / "people.jsonl", 50)
    done = subprocess.run([sys.executable, "-m", "devrecs.cli", "batch", str(src), "--out",
                           str(tmp_path / "out.jsonl"), "--audience", "hr", "--log", "/dev/full"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr
    assert "No space left on device" in done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr and not (tmp_path / "out.jsonl").exists()


def test_a_line_the_disk_had_no_room_for_is_cut_off_again(tmp_path, monkeypatch):
    """The log keeps whole lines only, so replay can read it after a full disk."""
    import datetime as dt
    path = tmp_path / "log.jsonl"
    log = DecisionLog(str(path), ruleset_hash="h", audience="hr", as_of=dt.date(2026, 6, 30))
    log.write("p1", [])
    real = log._stream.write

    def half(text):                       # the disk fills half way through the second line
        real(text[: len(text) // 2])
        log._stream.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(log._stream, "write", half)
    with pytest.raises(OSError):
        log.write("p2", [])
    monkeypatch.undo()
    log.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["person"] == "p1"
