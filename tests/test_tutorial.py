"""docs/tutorial-plugin.md, run: every file it shows is written and every command it shows is
run, in order, in a fresh folder, and each output it shows is checked (issue 18).

Blocks: ```<lang> file=<path>``` writes <path>; ```console``` holds commands (``$ ...``), each
followed by the lines it must print, in order (``*`` matches anything; a line ``*`` alone may
stand for any number of lines). Every command must exit 0."""

import fnmatch
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial-plugin.md"
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```$", re.S | re.M)


def steps(text):
    """('file', path, text) and ('run', command, expected lines), in the tutorial's order."""
    out = []
    for lang, info, body in BLOCK.findall(text):
        found = re.search(r"file=(\S+)", info)
        if found:
            out.append(("file", found.group(1), body))
        elif lang == "console":
            for chunk in re.split(r"^\$ ", body, flags=re.M)[1:]:
                command, *expected = chunk.rstrip("\n").split("\n")
                out.append(("run", command, expected))
    return out


def matches(expected, lines):
    """Whether ``lines`` hold the ``expected`` lines in order (``*`` alone: any lines)."""
    i = 0
    for want in expected:
        if want == "*":
            continue
        while i < len(lines) and not fnmatch.fnmatchcase(lines[i], want):
            i += 1
        if i == len(lines):
            return False
        i += 1
    return True


def test_the_tutorial_has_files_and_commands():
    found = steps(TUTORIAL.read_text(encoding="utf-8"))
    commands = [s[1] for s in found if s[0] == "run"]
    assert any(c.startswith("devrecs test --plugin") and "--coverage-of myorg --min-coverage 100" in c
               for c in commands)
    assert any("pip wheel" in c for c in commands) and any("devrecs diff" in c for c in commands)
    assert sum(1 for s in found if s[0] == "file") >= 5
    assert not matches(["a", "b"], ["b", "a"]) and matches(["a", "*", "c*"], ["a", "x", "cd"])


def test_every_command_of_the_tutorial_runs_and_prints_what_it_shows(tmp_path):
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    env.pop("DEVRECS_PLUGINS_DIR", None)
    for kind, what, content in steps(TUTORIAL.read_text(encoding="utf-8")):
        if kind == "file":
            path = tmp_path / what
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            continue
        done = subprocess.run(["bash", "-c", what], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600)
        output = (done.stdout + done.stderr).splitlines()
        assert done.returncode == 0, f"$ {what}\nexit {done.returncode}\n" + "\n".join(output)
        assert matches(content, output), (f"$ {what}\nexpected (in order):\n" + "\n".join(content)
                                          + "\ngot:\n" + "\n".join(output))
