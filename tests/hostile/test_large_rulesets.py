"""Large rule sets: they load, or fail within seconds with file:line, the rule and the limit.

durable-rules has fixed limits inside one ruleset. Passing some of them made durable
refuse the rules (and devrecs then compiled every rule alone, three times: minutes and
gigabytes for 10,000 rules, and an error naming no file); passing another made durable
hang. Each case runs in a child process with a time and memory bound.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 90
MEMORY = 3 << 29          # 1.5 GB


def _generator():
    spec = importlib.util.spec_from_file_location("large_rulesets", ROOT / "benchmarks" / "large_rulesets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rules(n: int, when) -> str:
    out = ["ruleset: many", "version: 1", "rules:"]
    for i in range(n):
        out += [f"  - id: many-{i}", f"    title: Rule {i}", f"    when: {when(i)}", "    recommend: [mentoring]",
                "    priority: 50", "    rationale: Generated."]
    return "\n".join(out) + "\n"


def load(path: Path) -> str:
    """'loaded N' or the first line of the error, from a child with bounded time and memory."""
    code = f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({MEMORY}, {MEMORY}))
        from devrecs import Engine
        from devrecs.errors import DevrecsError
        try:
            print("loaded", len(Engine.from_paths([{str(path)!r}]).rules))
        except DevrecsError as exc:
            print(str(exc).splitlines()[0])
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=SECONDS)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def line_of(text: str, rule_id: str) -> int:
    return text.splitlines().index(f"  - id: {rule_id}") + 1


def thresholds(i: int) -> str:
    return f"{{months_in_role: {{gt: {i}}}}}"


def test_512_different_thresholds_are_refused_at_the_rule_instead_of_hanging_durable(tmp_path):
    text = rules(600, thresholds)
    f = tmp_path / "thresholds.yaml"
    f.write_text(text, encoding="utf-8")
    line = load(f)
    assert line.startswith(f"{f}:{line_of(text, 'many-511')}:1: E131 rule 'many-511' is one rule too many "
                           f"for the matching engine: durable-rules allows at most 511 different tests right "
                           f"after the same tests")


def test_511_different_thresholds_load(tmp_path):
    f = tmp_path / "thresholds.yaml"
    f.write_text(rules(511, thresholds), encoding="utf-8")
    assert load(f) == "loaded 511"


def distinct(i: int) -> str:
    return f"{{months_in_role: {{gt: {i % 455}}}, level: {{ge: {i // 455}}}}}"


def test_4096_rules_in_one_scope_are_refused_at_the_4096th_before_durable_is_asked(tmp_path):
    text = rules(4200, distinct)
    f = tmp_path / "many.yaml"
    f.write_text(text, encoding="utf-8")
    line = load(f)
    assert line.startswith(f"{f}:{line_of(text, 'many-4095')}:1: E131 rule 'many-4095' is one rule too many "
                           f"for the matching engine: durable-rules takes at most 4,095 rules of one scope")


def test_4095_rules_load(tmp_path):
    f = tmp_path / "many.yaml"
    f.write_text(rules(4095, distinct), encoding="utf-8")
    assert load(f) == "loaded 4095"


@pytest.mark.parametrize("n", [3000, 10000])
def test_generated_rule_sets_fail_within_seconds_naming_the_file_the_rule_and_the_limit(tmp_path, n):
    f = tmp_path / "generated.yaml"
    f.write_text(_generator().rule_file(n), encoding="utf-8")
    line = load(f)
    assert re.match(rf"{re.escape(str(f))}:\d+:1: E131 rule 'generated-\d+' is one rule too many for the "
                    rf"matching engine: durable-rules ", line), line


def test_1000_generated_rules_load(tmp_path):
    f = tmp_path / "generated.yaml"
    f.write_text(_generator().rule_file(1000), encoding="utf-8")
    assert load(f) == "loaded 1000"
