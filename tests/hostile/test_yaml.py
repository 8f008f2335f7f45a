"""Hostile YAML: aliases that expand without end, recursive aliases, deep nesting and
repeated keys, in every kind of file devrecs reads. Each gets a located error, fast.

The slow cases run in a child process with a time and memory bound, so that a reader
that expands a "billion laughs" document fails the test instead of taking the machine.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from devrecs.authoring.ruletests import load_test_file
from devrecs.errors import DevrecsError, RuleFileError
from devrecs.intake.mapping import MappingError, load_mapping
from devrecs.intake.peoplefile import read_people_file
from devrecs.rulefile import located

SECONDS = 20
MEMORY = 1 << 30


def laughs(levels: int = 9, key: str = "lol") -> str:
    """A 'billion laughs' block: each anchor is nine aliases of the one before (9**levels values)."""
    lines = [f"{key}0: &{key}0 [ha, ha, ha, ha, ha, ha, ha, ha, ha]"]
    for i in range(1, levels):
        lines.append(f"{key}{i}: &{key}{i} [" + ", ".join([f"*{key}{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def bounded(code: str) -> str:
    """Run ``code`` in a child Python with SECONDS of time and MEMORY of address space; its stdout."""
    prelude = ("import resource\n"
               f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY}, {MEMORY}))\n")
    done = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=SECONDS)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


RULE_HEAD = "ruleset: hostile\nversion: 1\n"


def rule_file(tmp_path: Path, body: str, name: str = "hostile.yaml") -> Path:
    f = tmp_path / name
    f.write_text(body, encoding="utf-8")
    return f


def engine_error(path: Path) -> str:
    """The first line of the error Engine.from_paths gives for ``path``, from a bounded child."""
    return bounded(f"""
        from devrecs import Engine
        from devrecs.errors import DevrecsError
        try:
            Engine.from_paths([{str(path)!r}])
            print("loaded")
        except DevrecsError as exc:
            print(str(exc).splitlines()[0])
    """).strip()


# -- rule files ------------------------------------------------------------------------

def test_billion_laughs_in_a_rule_file_fails_fast_at_the_alias(tmp_path):
    f = rule_file(tmp_path, RULE_HEAD + laughs() + "rules: []\n")
    line = engine_error(f)
    assert re.match(rf"{re.escape(str(f))}:\d+:\d+: E100 aliases expand to more than 100,000 values", line)


def test_a_recursive_alias_in_a_rule_file_is_a_located_error(tmp_path):
    f = rule_file(tmp_path, RULE_HEAD + "rules: &r\n  - id: a\n    when: {all: *r}\n")
    with pytest.raises(RuleFileError) as exc:
        from devrecs import Engine
        Engine.from_paths([f])
    assert str(exc.value).startswith(f"{f}:5:17: E100 alias '*r' is inside the value its anchor names")


@pytest.mark.parametrize("nest", [
    pytest.param(lambda n: "[" * n + "]" * n, id="flow"),
    pytest.param(lambda n: "\n" + "".join("  " * (i + 2) + "- \n" for i in range(n)), id="block"),
])
def test_deep_nesting_in_a_rule_file_is_a_located_error(tmp_path, nest):
    f = rule_file(tmp_path, RULE_HEAD + "rules:\n  - id: a\n    when: " + nest(5000) + "\n")
    line = engine_error(f)
    assert line.startswith(f"{f}:") and "E100 mappings and lists nest deeper than 100 levels" in line


def test_deep_conditions_within_the_bound_still_read(tmp_path):
    when = "{not: " * 40 + "{flight_risk: high}" + "}" * 40
    doc = located.load(RULE_HEAD + f"rules:\n  - id: a\n    when: {when}\n", "deep.yaml")
    assert doc["rules"][0]["when"]["not"]["not"]


def test_a_merge_of_a_billion_laughs_is_bounded_too(tmp_path):
    f = rule_file(tmp_path, laughs() + "x:\n  <<: {a: *lol8}\n", "merge.yaml")
    out = bounded(f"""
        from devrecs.rulefile import located
        try:
            located.load(open({str(f)!r}).read(), "merge.yaml")
            print("loaded")
        except located.YamlError as exc:
            print(exc)
    """)
    assert re.match(r"merge.yaml:\d+:\d+: E100 aliases expand to more than", out)


# -- catalogs, mapping files and rule-test files -----------------------------------------

def test_billion_laughs_in_a_catalog_fails_fast(tmp_path):
    f = rule_file(tmp_path, "catalog: hostile\nversion: 1\n" + laughs(9, "c") + "interventions: []\n",
                  "catalog.yaml")
    line = engine_error(f)
    assert re.match(rf"{re.escape(str(f))}:\d+:\d+: E100 aliases expand to more than", line)


def test_billion_laughs_in_a_mapping_file_fails_fast(tmp_path):
    f = rule_file(tmp_path, laughs() + "id: EmployeeNumber\n", "mapping.yaml")
    out = bounded(f"""
        from devrecs.intake.mapping import MappingError, load_mapping
        try:
            load_mapping({str(f)!r})
        except MappingError as exc:
            print(str(exc).splitlines()[0])
    """)
    assert re.match(rf"{re.escape(str(f))}:\d+:\d+: E100 aliases expand to more than", out)


def test_deep_nesting_and_duplicate_keys_in_a_mapping_file_are_located(tmp_path):
    f = rule_file(tmp_path, "id: EmployeeNumber\nfacts: " + "[" * 3000 + "]" * 3000 + "\n", "deep.yaml")
    with pytest.raises(MappingError, match=r"deep.yaml:2:\d+: E100 mappings and lists nest deeper"):
        load_mapping(f)


def test_billion_laughs_in_a_rule_test_file_is_a_located_problem(tmp_path):
    f = rule_file(tmp_path, laughs() + "tests: []\n", "test_laughs.yaml")
    out = bounded(f"""
        from devrecs.authoring.ruletests import is_test_file, load_test_file
        from pathlib import Path
        print(is_test_file(Path({str(f)!r})))
        print(load_test_file({str(f)!r}).problems[0])
    """).splitlines()
    assert out[0] == "True"
    assert re.match(rf"{re.escape(str(f))}:\d+:\d+: T100 aliases expand to more than", out[1])


def test_a_recursive_alias_in_a_rule_test_file_is_a_located_problem(tmp_path):
    f = rule_file(tmp_path, "tests: &t\n  - name: a\n    person: {id: x}\n    expect: *t\n", "test_r.yaml")
    problem = load_test_file(f).problems[0]
    assert (problem.line, problem.code) == (4, "T100") and "recursive alias" in problem.message


# -- people files --------------------------------------------------------------------------

def test_nested_aliases_in_a_people_file_are_refused_where_they_expand(tmp_path):
    """The people file loaded, then explain --intervention expanded its aliases and hung."""
    f = tmp_path / "people.yaml"
    f.write_text(laughs() + "people:\n  - id: p1\n    extra: {lol: *lol8}\n", encoding="utf-8")
    out = bounded(f"""
        from devrecs.errors import DevrecsError
        from devrecs.intake.peoplefile import read_people_file
        try:
            read_people_file({str(f)!r})
            print("loaded")
        except DevrecsError as exc:
            print(exc)
    """).strip()
    assert re.match(rf"{re.escape(str(f))}:\d+:\d+: aliases expand to more than 100,000 values", out)


def test_explain_of_a_person_with_nested_aliases_does_not_hang(tmp_path):
    f = tmp_path / "people.yaml"
    f.write_text(laughs(6) + "people:\n  - id: p1\n    flight_risk: high\n    extra: {lol: *lol5}\n",
                 encoding="utf-8")
    out = bounded(f"""
        from click.testing import CliRunner
        from devrecs.cli import cli
        result = CliRunner().invoke(cli, ["explain", {str(f)!r}, "p1", "--intervention", "career-conversation"])
        print(result.exit_code, result.output)
    """)
    assert not out.startswith("0 ") and "aliases expand to more than" in out


def test_a_deep_people_file_is_a_located_error_not_a_recursion_error(tmp_path):
    f = tmp_path / "people.yaml"
    f.write_text("- id: a\n  extra: {x: " + "[" * 5000 + "]" * 5000 + "}\n", encoding="utf-8")
    with pytest.raises(DevrecsError, match=r"people.yaml record 1, not valid YAML at line 2 \(mappings and lists "
                                           r"nest deeper"):
        read_people_file(f).people()


def test_a_recursive_alias_in_a_people_file_is_a_located_error(tmp_path):
    f = tmp_path / "people.yaml"
    f.write_text("- &p\n  id: a\n  extra: {me: *p}\n", encoding="utf-8")
    with pytest.raises(DevrecsError, match=r"people.yaml record 1, cannot be read at line 3: alias '\*p' is inside "
                                           r"the value"):
        read_people_file(f).people()


# -- the reader agrees with PyYAML on plain documents, and refuses what PyYAML lets through ----

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                     st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs", "Cc")), max_size=8))
_keys = st.sampled_from(["id", "track", "wellbeing_concern", "extra", "level", "a", "b"])
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(st.tuples(_keys, inner), max_size=4)), max_leaves=20)


def _yaml(value, indent: int = 0) -> str:
    """Flow YAML, keeping duplicate keys (a list of pairs is a mapping that may repeat keys)."""
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    return json.dumps(value)


def _has_duplicate(value) -> bool:
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        keys = [k for k, _ in value]
        return len(set(keys)) < len(keys) or any(_has_duplicate(v) for _, v in value)
    return isinstance(value, list) and any(_has_duplicate(v) for v in value)


@settings(max_examples=200, deadline=None)
@given(_values)
def test_the_reader_builds_what_pyyaml_builds_and_refuses_every_repeated_key(value):
    text = "doc: " + _yaml(value) + "\n"
    if _has_duplicate(value):
        with pytest.raises(located.YamlError) as exc:
            located.load(text, "gen.yaml", located=False)
        assert exc.value.problem.code == "E101" and "duplicate key" in exc.value.problem.message
    else:
        assert located.load(text, "gen.yaml", located=False) == yaml.safe_load(text)
        assert located.load(text, "gen.yaml") == yaml.safe_load(text)


def test_a_repeated_key_in_a_people_file_is_refused_with_the_field(tmp_path):
    f = tmp_path / "people.yaml"
    f.write_text("- id: a\n  wellbeing_concern: true\n  wellbeing_concern: false\n", encoding="utf-8")
    with pytest.raises(DevrecsError, match=r"people.yaml record 1, field 'wellbeing_concern': cannot be read at line "
                                           r"3: duplicate key 'wellbeing_concern'"):
        read_people_file(f).people()


@pytest.mark.parametrize("number", ["9" * 5000, "-" + "1" * 4400])
def test_a_number_too_long_to_read_is_a_located_error_that_says_so(tmp_path, number):
    """Python refuses int(text) past 4300 digits; the error says it is a number, not 'a date'."""
    f = rule_file(tmp_path, RULE_HEAD + f"rules:\n  - id: a\n    when: {{tenure_months: {{gt: {number}}}}}\n")
    line = engine_error(f)
    assert line.startswith(f"{f}:5:") and "E100 a number of" in line and "too long to read" in line, line
    assert "date" not in line and len(line) < 300
