"""Write one named section of benchmarks/results.md, keeping the others."""

from __future__ import annotations

import re
from pathlib import Path

HEADER = ("# Benchmark results\n\nEach section is written by the script it names, measured in one run "
          "on this project's 2-core machine (shared and noisy: compare ratios within a section).\n")


def write_section(path: Path, key: str, title: str, lines: list[str]) -> None:
    text = path.read_text() if path.exists() else HEADER
    block = f"<!-- {key} -->\n## {title}\n\n" + "\n".join(lines) + f"\n<!-- /{key} -->\n"
    pattern = re.compile(rf"<!-- {key} -->.*?<!-- /{key} -->\n", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    path.write_text(text)
