"""Rewrite the IBM LL144 table in docs/fairness.md from the command's output (no plugin).

    python scripts/ll144_doc.py          # rewrite the table
    python scripts/ll144_doc.py --check  # exit 1 when the doc is stale

tests/test_ll144.py checks the doc with the same function.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "fairness.md"
BEGIN, END = "<!-- ll144-ibm:begin -->\n", "<!-- ll144-ibm:end -->"
ARGS = ["audit", str(ROOT / "examples" / "ibm-hr-attrition" / "ibm-hr-attrition.csv"), "--mapping",
        str(ROOT / "examples" / "ibm-hr-attrition" / "mapping.yaml"), "--format", "ll144", "--as-of", "2026-11-23"]


def command_output() -> str:
    """What the doc's command prints with every installed plugin switched off."""
    from click.testing import CliRunner

    from devrecs.cli import cli
    installed = sorted({e.name for e in importlib.metadata.entry_points(group="devrecs")})
    env = {"DEVRECS_DISABLE_PLUGINS": ",".join(installed) if installed else None, "DEVRECS_PLUGINS_DIR": None}
    result = CliRunner().invoke(cli, ARGS, env=env)
    if result.exit_code != 0:
        raise SystemExit(f"devrecs {' '.join(ARGS)} failed:\n{result.output}")
    return result.stdout


def doc_table(text: str) -> str:
    start = text.index(BEGIN) + len(BEGIN)
    return text[start:text.index(END, start)]


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    fresh = command_output()
    if "--check" in argv:
        return 0 if doc_table(text) == fresh else 1
    start = text.index(BEGIN) + len(BEGIN)
    DOC.write_text(text[:start] + fresh + text[text.index(END, start):], encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main(sys.argv[1:]))
