"""Progress (devrecs.batch.progress): a bar with rate and time left on a terminal's stderr, nothing elsewhere."""

import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("rich")

from devrecs.batch.progress import Progress, expected_rows  # noqa: E402
from devrecs.cli import cli  # noqa: E402

IBM = Path(__file__).resolve().parents[1] / "examples" / "ibm-hr-attrition"
CSV, MAPPING = IBM / "ibm-hr-attrition.csv", IBM / "mapping.yaml"
DEVRECS = [sys.executable, "-m", "devrecs.cli"]


def on_a_terminal(args, cwd):
    """(stdout, stderr) of devrecs ``args`` with stderr on a pseudo-terminal, stdout to a file."""
    master, slave = pty.openpty()
    out = cwd / "stdout"
    with open(out, "wb") as f:
        p = subprocess.Popen(DEVRECS + [str(a) for a in args], stdout=f, stderr=slave, stdin=subprocess.DEVNULL,
                             cwd=cwd, env=dict(os.environ, TERM="xterm", COLUMNS="120"))
        os.close(slave)
        err = b""
        while True:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:     # the child closed the terminal
                    break
                if not chunk:
                    break
                err += chunk
            elif p.poll() is not None:
                break
        p.wait(timeout=120)
    os.close(master)
    return out.read_bytes(), err.decode("utf-8", "replace")


COMMANDS = {
    "batch": (["batch", CSV, "--mapping", MAPPING, "--as-of", "2026-06-30", "--log", "log.jsonl",
               "--audience", "hr"], "batch", True),
    "report": (["report", CSV, "--mapping", MAPPING, "--html", "r.html", "--as-of", "2026-06-30"],
               "reading people", True),
    "audit": (["audit", CSV, "--mapping", MAPPING, "--by", "gender"], "auditing", True),
    "diff": (["diff", "builtin", "builtin", CSV, "--mapping", MAPPING, "--as-of", "2026-06-30"],
             "reading people", True),
    "replay": (["replay", "log.jsonl", "--people", CSV, "--mapping", MAPPING], "reading people", True),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_long_commands_draw_a_bar_on_a_terminal_and_never_on_stdout(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if name == "replay":
        on_a_terminal(COMMANDS["batch"][0], tmp_path)
    args, what, _ = COMMANDS[name]
    out, err = on_a_terminal(args, tmp_path)
    assert what in err and "/s" in err, err[-800:]
    assert "/1470" in err and "left" in err           # the CSV's rows are counted: time left is shown
    assert b"\x1b" not in out and b"\r" not in out     # data on stdout stays clean
    plain = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False) if name != "replay" else None
    if plain is not None:                               # not a terminal: no bar at all
        assert "\x1b" not in plain.stderr and "/s" not in plain.stderr


def test_a_bar_says_rate_and_time_left_and_clears_itself():
    stream = io.StringIO()
    with Progress(stream, "reading", total=1000, show=True) as bar:
        for _ in bar.track(range(1000)):
            pass
        bar.line("a warning")
    text = stream.getvalue()
    assert "reading" in text and "1000/1000" in text and "left" in text and "a warning\n" in text
    assert text.rstrip().endswith("\x1b[?25h") or "\x1b[2K" in text   # the bar is erased when done


def test_nothing_is_drawn_off_a_terminal():
    stream = io.StringIO()
    with Progress(stream, "reading", total=10) as bar:
        bar.advance(10)
        bar.line("a warning")
    assert stream.getvalue() == "a warning\n" and bar.bar is None


def test_expected_rows(tmp_path):
    (tmp_path / "p.csv").write_text("id\na\nb\nc")
    (tmp_path / "p.jsonl").write_text('{"id": "a"}\n{"id": "b"}\n')
    assert expected_rows(None, str(tmp_path / "p.csv")) == 3
    assert expected_rows(None, str(tmp_path / "p.jsonl")) == 2
    assert expected_rows(None, str(tmp_path / "p.yaml")) is None
    assert expected_rows(type("S", (), {"rows": 7})(), "x.parquet") == 7
    assert expected_rows(None, str(CSV)) == 1470
