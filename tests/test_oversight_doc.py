"""docs/oversight.md, run: every command of its walk-through (```console blocks) is run in order in
a fresh folder and must print what the doc shows (the matching of tests/test_tutorial.py), and every
`devrecs ...` line of its other examples (```bash blocks) names a command and options that exist."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from devrecs.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "oversight.md"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_tutorial import BLOCK, matches, steps  # noqa: E402


def test_the_walk_through_covers_review_contest_retention_and_a_persons_data():
    commands = " ".join(what for kind, what, _ in steps(DOC.read_text(encoding="utf-8")) if kind == "run")
    for needed in ("review approve", "review reject", "review release", "--audience employee", "review contest",
                   "review events", "review correct", "store retention", "store prune", "person export",
                   "person erase", "log verify"):
        assert needed in commands, needed


def test_every_command_of_the_walk_through_runs_and_prints_what_it_shows(tmp_path):
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    for name in ("PYTHONPATH", "DEVRECS_PLUGINS_DIR", "DEVRECS_STORE"):
        env.pop(name, None)
    for kind, what, expected in steps(DOC.read_text(encoding="utf-8")):
        assert kind == "run", "the walk-through writes no file"
        done = subprocess.run(["bash", "-c", what], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600)
        output = (done.stdout + done.stderr).splitlines()
        assert done.returncode == 0, f"$ {what}\nexit {done.returncode}\n" + "\n".join(output)
        assert matches(expected, output), (f"$ {what}\nexpected (in order):\n" + "\n".join(expected)
                                           + "\ngot:\n" + "\n".join(output))


def _options(path):
    """The options of the command at ``path`` (e.g. ["review", "list"]), from its --help."""
    out = CliRunner().invoke(cli, [*path, "--help"])
    assert out.exit_code == 0, f"devrecs {' '.join(path)}: {out.output}"
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", out.output)), out.output


def test_every_devrecs_line_of_the_other_examples_names_real_commands_and_options():
    text = DOC.read_text(encoding="utf-8")
    lines = []
    for lang, _, body in BLOCK.findall(text):
        if lang == "bash":
            lines += [line for line in body.replace("\\\n", " ").splitlines()]
    found = 0
    for line in lines:
        line = line.split("#")[0].strip()
        for piece in re.split(r"\|", line):
            words = shlex.split(piece.strip().split(">")[0]) if piece.strip() else []
            while words and ("=" in words[0] and not words[0].startswith("-")):
                words = words[1:]                      # VAR=... before the command
            if not words or words[0] != "devrecs":
                continue
            path = [words[1]]
            options, help_text = _options(path)
            if "Commands:" in help_text and len(words) > 2:
                path.append(words[2])
                options, _ = _options(path)
            for word in words:
                if word.startswith("--"):
                    assert word.split("=")[0] in options, f"{line}: devrecs {' '.join(path)} has no {word}"
            found += 1
    assert found >= 15
