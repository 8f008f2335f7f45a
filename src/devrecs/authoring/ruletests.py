"""Rule tests: YAML files of cases (a person, or a whole organization, and what they
should and should not get), run against rule packs, with rule coverage.

A test file (docs/authoring.md has the reference)::

    rules: [..]                 # optional: rule files or folders, relative to this file
    as_of: '2026-06-30'         # optional: the run date of every test (default: today)
    tests:
      - name: a deep expert gets the expert programme, not the pipeline
        person: {track: individual_contributor, performance: high, potential: low}
        audience: employee      # optional: what this audience would see
        expect:
          include: [expert-leadership-program]
          exclude: [leadership-pipeline-program]
      - name: graduates waiting with no seat
        org: true
        people: [{id: g1, pipeline: {status: graduate, months_waiting: 9}}]
        expect:
          organization: {include: [grow-leadership-seats]}

``devrecs test`` and the pytest plugin (pytest_plugin.py) both run them
through ``Runner``; ``Coverage`` records which rules fired and which
alternatives of each ``any`` were taken (by the Python evaluator, which a
property test keeps in agreement with durable-rules).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import attrs

from ..app import Engine
from ..audience import AUDIENCES, masked
from ..errors import DevrecsError, Problem, RecordError, RuleFileError, did_you_mean
from ..facts import fact_value
from ..model import Person, Recommendation, Rule
from ..packs import BUILTIN_OWNER, default_rules_dir
from ..people import person_from_dict
from ..plugins.manager import ENTRY_POINT_GROUP, PluginError, RulePaths
from ..rulefile import located
from ..rulefile.conditions import holds
from ..rulefile.located import LMap, LSeq, Loc
from ..rulefile.logic import Branch, branches


def _entry_points() -> list:
    import importlib.metadata
    return list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))

FILE_KEYS = ("rules", "packs", "plugins", "isolated", "as_of", "tests", "description")
TEST_KEYS = ("name", "person", "people", "org", "open_positions", "as_of", "audience", "cap", "expect")
PERSON_EXPECT = ("include", "exclude", "exactly", "fired", "not_fired")
ORG_EXPECT = ("organization", "teams", "people", "fired", "not_fired")
LEVEL_EXPECT = ("include", "exclude", "exactly")
DEFAULT_TESTS_DIR = "tests"
BUILTIN_PACK = "builtin"        # in 'packs:' and --coverage-of: the built-in packs
NO_CAP = "none"


class RuleTestError(DevrecsError):
    """Problems in rule-test files (or in the rule files they name); all are listed."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@attrs.frozen
class Wanted:
    """One expected intervention: for the person, or ``to: manager`` for their manager."""

    intervention: str
    to: str = "person"
    loc: tuple[int, int] = (0, 0)

    def __str__(self) -> str:
        return self.intervention if self.to == "person" else f"{self.intervention} (to manager)"


@attrs.frozen
class Expect:
    include: tuple[Wanted, ...] = ()
    exclude: tuple[Wanted, ...] = ()
    exactly: Optional[tuple[Wanted, ...]] = None


@attrs.frozen
class RuleTest:
    name: str
    file: str
    line: int
    person: Any = None                    # the raw mapping (person tests)
    people: tuple[Any, ...] = ()          # raw mappings (org tests)
    org: bool = False
    open_positions: int = 0
    as_of: Optional[dt.date] = None
    audience: Optional[str] = None
    cap: Any = "engine"                   # "engine" (the default cap), None (no cap) or a number
    expect: Expect = Expect()             # person tests; for org tests: the organization level
    teams: tuple[tuple[str, Expect], ...] = ()
    people_expect: tuple[tuple[str, Expect], ...] = ()
    fired: tuple[tuple[str, tuple[int, int]], ...] = ()
    not_fired: tuple[tuple[str, tuple[int, int]], ...] = ()
    problems: tuple[Problem, ...] = ()    # this test's own problems (the file may still run)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@attrs.frozen
class RuleTestFile:
    """One test file. What the engine holds:

    - by default, as in production: the built-in packs, every installed plugin and the
      runner's plugins under development, plus the file's ``packs``;
    - with ``isolated: true``: only the file's ``packs`` and ``plugins`` (and the built-in
      catalog); the built-in packs only when ``packs`` names ``builtin``;
    - with ``rules``: exactly those rule files and the built-in catalog (isolated).

    Coverage counts the rules of the ``packs`` and ``plugins`` named, else every rule."""

    path: Path
    label: str
    rules: Optional[tuple[Path, ...]]      # None: the built-in packs (or the runner's --rules)
    as_of: Optional[dt.date]
    tests: tuple[RuleTest, ...]
    problems: tuple[Problem, ...] = ()     # problems that stop the whole file
    packs: tuple[Path, ...] = ()           # packs under test; BUILTIN_PACK stands for the built-in packs
    plugins: tuple[str, ...] = ()          # plugins under test, by name
    isolated: bool = False

    @property
    def named(self) -> bool:
        return bool(self.packs or self.plugins or self.rules)


def _label(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# -- reading test files --------------------------------------------------------------


class _Reader:
    def __init__(self, label: str):
        self.label = label
        self.problems: list[Problem] = []

    def problem(self, loc: Any, code: str, message: str) -> None:
        self.problems.append(Problem(self.label, loc[0], loc[1], code, message))

    def keys(self, m: LMap, allowed: Sequence[str], what: str) -> None:
        for key in m:
            if key not in allowed:
                self.problem(m.key_loc(key), "T103", f"unknown key '{key}' in {what}{did_you_mean(str(key), allowed)}; "
                                                     f"expected one of {', '.join(allowed)}")

    def names(self, m: LMap, key: str, what: str) -> list[str]:
        value = m.get(key)
        if value is None:
            return []
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problem(m.value_loc(key), "T104", f"'{key}' must be a list of {what}")
            return []
        return list(value)

    def date(self, m: LMap, key: str) -> Optional[dt.date]:
        if key not in m or m[key] is None:
            return None
        value = m[key]
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.problem(m.value_loc(key), "T104", f"'{key}' must be a date YYYY-MM-DD, got {value!r}")
            return None

    def wanted(self, value: Any, loc: Loc, key: str, targets: bool) -> tuple[Wanted, ...]:
        if value is None:
            return ()
        if isinstance(value, (str, LMap)):
            value = LSeq([value])
            value.item_locs = [loc]
        if not isinstance(value, LSeq):
            self.problem(loc, "T104", f"'{key}' must be a list of intervention ids")
            return ()
        out = []
        for i, item in enumerate(value):
            iloc = value.item_loc(i)
            if isinstance(item, str):
                out.append(Wanted(item, "person", tuple(iloc)))
            elif isinstance(item, LMap) and targets and isinstance(item.get("intervention"), str):
                self.keys(item, ("intervention", "to"), f"an entry of '{key}'")
                to = item.get("to", "person")
                if to not in ("person", "manager"):
                    self.problem(item.value_loc("to"), "T104", f"'to' must be person or manager, got {to!r}")
                    continue
                out.append(Wanted(item["intervention"], to, tuple(iloc)))
            else:
                self.problem(iloc, "T104", f"an entry of '{key}' must be an intervention id"
                                           + (" or {intervention: <id>, to: manager}" if targets else ""))
        return tuple(out)

    def expect(self, m: Any, loc: Loc, targets: bool) -> Expect:
        if m is None:
            return Expect()
        if not isinstance(m, LMap):
            self.problem(loc, "T104", "expectations must be a mapping: include, exclude, exactly")
            return Expect()
        exactly = None
        if "exactly" in m:
            exactly = self.wanted(m["exactly"] if m["exactly"] is not None else LSeq(),
                                  m.value_loc("exactly"), "exactly", targets)
        return Expect(self.wanted(m.get("include"), m.value_loc("include"), "include", targets),
                      self.wanted(m.get("exclude"), m.value_loc("exclude"), "exclude", targets), exactly)

    def rule_ids(self, m: LMap, key: str) -> tuple[tuple[str, tuple[int, int]], ...]:
        value = m.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = LSeq([value])
            value.item_locs = [m.value_loc(key)]
        if not isinstance(value, LSeq) or not all(isinstance(v, str) for v in value):
            self.problem(m.value_loc(key), "T104", f"'{key}' must be a list of rule ids")
            return ()
        return tuple((v, tuple(value.item_loc(i))) for i, v in enumerate(value))

    def person(self, raw: Any, loc: Loc, record: str) -> Any:
        if not isinstance(raw, dict):
            self.problem(loc, "T104", "a person must be a mapping of facts")
            return None
        data = _plain(raw)
        data.setdefault("id", "person")
        try:
            person_from_dict(data, record=record)
        except RecordError as exc:
            for message in exc.messages:
                self.problem(loc, "T110", f"{record}, {message}")
            return None
        return data

    def test(self, raw: Any, loc: Loc, default_as_of: Optional[dt.date]) -> Optional[RuleTest]:
        if not isinstance(raw, LMap):
            self.problem(loc, "T104", "a test must be a mapping with 'name', 'person' (or 'people' and "
                                      "'org: true') and 'expect'")
            return None
        before = len(self.problems)
        self.keys(raw, TEST_KEYS, "a test")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problem(raw.loc, "T102", "a test needs a 'name'")
            name = f"test at line {raw.loc.line}"
        name = " ".join(name.split())
        org = raw.get("org", False)
        if not isinstance(org, bool):
            self.problem(raw.value_loc("org"), "T104", f"'org' is true or false, got {org!r}")
            org = False
        audience = raw.get("audience")
        if audience is not None and audience not in AUDIENCES:
            self.problem(raw.value_loc("audience"), "T104", f"unknown audience {audience!r}"
                                                            f"{did_you_mean(str(audience), AUDIENCES)}; expected one "
                                                            f"of {', '.join(AUDIENCES)}")
            audience = None
        cap: Any = "engine"
        if "cap" in raw:
            cap = raw["cap"]
            if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 0):
                self.problem(raw.value_loc("cap"), "T104",
                             f"'cap' is a whole number >= 0, or null for no cap, got {cap!r}")
                cap = "engine"
        as_of = self.date(raw, "as_of") or default_as_of
        expect_raw = raw.get("expect")
        eloc = raw.value_loc("expect")
        if "expect" not in raw:
            self.problem(raw.loc, "T102", f"test '{name}' has no 'expect'")
        elif not isinstance(expect_raw, LMap):
            self.problem(eloc, "T104", "'expect' must be a mapping")
            expect_raw = LMap()
        expect_raw = expect_raw if isinstance(expect_raw, LMap) else LMap()
        fired, not_fired = self.rule_ids(expect_raw, "fired"), self.rule_ids(expect_raw, "not_fired")
        line = raw.loc.line
        if org:
            if audience is not None:
                self.problem(raw.value_loc("audience"), "T104", "'audience' is for person tests, not with 'org: true'")
            self.keys(expect_raw, ORG_EXPECT, "'expect' of an organization test")
            people_raw = raw.get("people")
            if "person" in raw:
                self.problem(raw.key_loc("person"), "T104",
                             "an organization test takes 'people' (a list), not 'person'")
            if not isinstance(people_raw, LSeq) or not people_raw:
                self.problem(raw.value_loc("people") if "people" in raw else raw.loc, "T102",
                             f"organization test '{name}' needs 'people': a list of person records")
                people_raw = LSeq()
            people = []
            for i, p in enumerate(people_raw):
                checked = self.person(p, people_raw.item_loc(i), f"people[{i}]")
                if checked is not None:
                    people.append(checked)
            ids = [p["id"] for p in people]
            for dup in sorted({i for i in ids if ids.count(i) > 1}):
                self.problem(people_raw.loc, "T110", f"two people with the id '{dup}'")
            positions = raw.get("open_positions", 0)
            if isinstance(positions, bool) or not isinstance(positions, int) or positions < 0:
                self.problem(raw.value_loc("open_positions"), "T104",
                             f"'open_positions' is a whole number >= 0, got {positions!r}")
                positions = 0
            level = expect_raw.get("organization")
            organization = self.expect(level, expect_raw.value_loc("organization"), False)
            teams = self.per_id(expect_raw, "teams", False)
            people_expect = self.per_id(expect_raw, "people", True)
            test = RuleTest(name, self.label, line, None, tuple(people), True, positions, as_of, None, cap,
                            organization, teams, people_expect, fired, not_fired)
        else:
            self.keys(expect_raw, PERSON_EXPECT, "'expect' of a person test")
            for key in ("people", "open_positions"):
                if key in raw:
                    self.problem(raw.key_loc(key), "T104", f"'{key}' is for organization tests: add 'org: true' "
                                                           f"(for one person, use 'person')")
            if "person" not in raw:
                self.problem(raw.loc, "T102", f"test '{name}' needs 'person' (or 'people' with 'org: true')")
            person = self.person(raw.get("person"), raw.value_loc("person"), "person") if "person" in raw else None
            test = RuleTest(name, self.label, line, person, (), False, 0, as_of, audience, cap,
                            self.expect(expect_raw, eloc, True), (), (), fired, not_fired)
        return attrs.evolve(test, problems=tuple(self.problems[before:]))

    def per_id(self, m: LMap, key: str, targets: bool) -> tuple[tuple[str, Expect], ...]:
        value = m.get(key)
        if value is None:
            return ()
        if not isinstance(value, LMap):
            self.problem(m.value_loc(key), "T104", f"'{key}' maps ids to expectations, e.g. "
                                                   f"'{key}: {{m1: {{include: [...]}}}}'")
            return ()
        out = []
        for k, v in value.items():
            self.keys(v if isinstance(v, LMap) else LMap(), LEVEL_EXPECT, f"'{key}.{k}'")
            out.append((str(k), self.expect(v, value.value_loc(k), targets)))
        return tuple(out)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def load_test_file(path: Path | str) -> RuleTestFile:
    """Read one rule-test file; problems are collected, never raised."""
    path = Path(path)
    label = _label(path)
    reader = _Reader(label)
    try:
        doc = located.load(path.read_text(encoding="utf-8"), label)
    except located.YamlError as exc:
        return RuleTestFile(path, label, None, None, (), (attrs.evolve(exc.problem, code="T100"),))
    except (OSError, UnicodeDecodeError) as exc:
        return RuleTestFile(path, label, None, None, (), (Problem(label, 1, 1, "T100", f"cannot read: {exc}"),))
    if not isinstance(doc, LMap) or not isinstance(doc.get("tests"), LSeq):
        return RuleTestFile(path, label, None, None, (), (Problem(label, 1, 1, "T102",
                                                              "a rule-test file needs 'tests:', a list of tests"),))
    reader.keys(doc, FILE_KEYS, "a rule-test file")
    rules = None
    if "rules" in doc:
        value = doc["rules"]
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            reader.problem(doc.value_loc("rules"), "T104", "'rules' must be a list of rule files or folders, "
                                                           "relative to this file")
        else:
            rules = tuple(path.parent / v for v in value)
    packs: list[Path] = []
    for v in reader.names(doc, "packs", "rule files or folders, relative to this file (or 'builtin')"):
        packs.append(Path(BUILTIN_PACK) if v == BUILTIN_PACK else path.parent / v)
    plugins = reader.names(doc, "plugins", "plugin names (as 'devrecs plugins' lists them)")
    isolated = doc.get("isolated", False)
    if not isinstance(isolated, bool):
        reader.problem(doc.value_loc("isolated"), "T104", f"'isolated' is true or false, got {isolated!r}")
        isolated = False
    as_of = reader.date(doc, "as_of")
    file_problems = list(reader.problems)
    tests = []
    raw_tests = doc["tests"]
    for i, raw in enumerate(raw_tests):
        test = reader.test(raw, raw_tests.item_loc(i), as_of)
        if test is not None:
            tests.append(test)
        elif reader.problems:
            file_problems.append(reader.problems[-1])
    names: dict[str, int] = {}
    for t in tests:
        if t.name in names:
            file_problems.append(Problem(label, t.line, 1, "T101", f"two tests named '{t.name}' (first at line "
                                                                   f"{names[t.name]})"))
        names.setdefault(t.name, t.line)
    return RuleTestFile(path, label, rules, as_of, tuple(tests), tuple(file_problems), tuple(packs),
                        tuple(plugins), isolated or rules is not None)


def is_test_file(path: Path) -> bool:
    """A ``test_*.yaml`` / ``test_*.yml`` file whose top has ``tests:`` (quick check)."""
    if not (path.name.startswith("test_") and path.suffix in (".yaml", ".yml")):
        return False
    try:
        doc = located.load(path.read_text(encoding="utf-8"), str(path), located=False)
    except (located.YamlError, OSError, UnicodeDecodeError):
        return True            # unreadable: collected, so that the problem is reported
    return isinstance(doc, dict) and "tests" in doc


def find_test_files(paths: Iterable[Path | str]) -> list[Path]:
    """Rule-test files: files named on their own, and ``test_*.yaml`` under folders (recursively)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(f for f in sorted(p.rglob("test_*.y*ml")) if is_test_file(f))
        else:
            out.append(p)
    return list(dict.fromkeys(out))


# -- coverage ------------------------------------------------------------------------


def _rule_key(rule: Rule) -> tuple[str, int, str]:
    return (rule.file, rule.line, rule.id)


@attrs.define
class Coverage:
    """Which rules fired in the tests, and which alternatives of each 'any' were taken.

    Only the rules in scope are counted (those of the packs and plugins under test, else
    every rule); a rule is counted once, however many engines hold it, and listed under the
    pack or plugin it comes from."""

    groups: dict[str, list[Rule]] = attrs.field(factory=dict)       # label -> rules, in order
    _rules: dict[tuple, Rule] = attrs.field(factory=dict)
    _branches: dict[tuple, list[Branch]] = attrs.field(factory=dict)
    _fired: set[tuple] = attrs.field(factory=set)
    _taken: set[tuple] = attrs.field(factory=set)

    def add(self, rule: Rule, group: str) -> None:
        """Count ``rule`` (in ``group``); adding it again changes nothing."""
        key = _rule_key(rule)
        if key in self._rules:
            return
        self._rules[key] = rule
        self._branches[key] = branches(rule.when)
        self.groups.setdefault(group, []).append(rule)

    def record(self, rule: Rule, get: Any, fired: Optional[bool] = None) -> None:
        key = _rule_key(rule)
        if key not in self._rules:
            return
        if fired is None:
            fired = holds(rule.when, get)
        if not fired:
            return
        self._fired.add(key)
        for i, b in enumerate(self._branches[key]):
            if (key, i) not in self._taken and holds(b.node, get):
                self._taken.add((key, i))

    @property
    def sets(self) -> dict[str, list[Rule]]:
        """The rules counted, by the pack or plugin they come from (empty: nothing counted)."""
        return self.groups

    @property
    def rules(self) -> int:
        return len(self._rules)

    @property
    def fired(self) -> int:
        return len(self._fired)

    @property
    def branch_total(self) -> int:
        return sum(len(b) for b in self._branches.values())

    @property
    def taken(self) -> int:
        return len(self._taken)

    @property
    def percent(self) -> float:
        return 100.0 * self.fired / self.rules if self.rules else 100.0

    @property
    def branch_percent(self) -> float:
        return 100.0 * self.taken / self.branch_total if self.branch_total else 100.0

    def never_fired(self, group: str) -> list[Rule]:
        return [r for r in self.groups[group] if _rule_key(r) not in self._fired]

    def never_taken(self, group: str) -> list[tuple[Rule, Branch]]:
        return [(r, b) for r in self.groups[group] for i, b in enumerate(self._branches[_rule_key(r)])
                if (_rule_key(r), i) not in self._taken]

    def summary(self) -> str:
        return (f"Rule coverage: {self.fired} of {self.rules} rules fired ({self.percent:.1f}%); "
                f"{self.taken} of {self.branch_total} alternatives of 'any' taken ({self.branch_percent:.1f}%)")

    def report(self) -> list[str]:
        lines = [self.summary()]
        if len(self.groups) > 1:
            for group, rules in self.groups.items():
                fired = len(rules) - len(self.never_fired(group))
                lines.append(f"  {group}: {fired} of {len(rules)} rules fired")
        for group in self.groups:
            missing = self.never_fired(group)
            if missing:
                lines.append(f"Rules never fired ({group}):")
                lines += [f"  {r.file}:{r.line}  {r.id}" for r in missing]
            untaken = self.never_taken(group)
            if untaken:
                lines.append(f"Alternatives never taken ({group}):")
                lines += [f"  {r.file}:{b.loc[0]}:{b.loc[1]}  {r.id}: {b.label}" for r, b in untaken]
        return lines

    def to_dict(self) -> dict:
        groups = list(self.groups)
        return {
            "rules": {"total": self.rules, "fired": self.fired, "percent": round(self.percent, 1),
                      "never_fired": [{"rule": r.id, "file": r.file, "line": r.line, "pack": g}
                                      for g in groups for r in self.never_fired(g)]},
            "branches": {"total": self.branch_total, "taken": self.taken, "percent": round(self.branch_percent, 1),
                         "never_taken": [{"rule": r.id, "file": r.file, "line": b.loc[0], "col": b.loc[1],
                                          "branch": b.label, "pack": g}
                                         for g in groups for r, b in self.never_taken(g)]},
            "packs": {g: {"total": len(rules), "fired": len(rules) - len(self.never_fired(g))}
                      for g, rules in self.groups.items()},
        }


# -- running -------------------------------------------------------------------------


@attrs.frozen
class Outcome:
    test: RuleTest
    status: str                     # passed | failed | error
    details: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict:
        return {"name": self.test.name, "file": self.test.file, "line": self.test.line, "status": self.status,
                "details": list(self.details)}


def _got_text(recs: Sequence[Recommendation], subject: str) -> str:
    parts = []
    for r in recs:
        who = "" if r.subject == subject else f" to manager {r.subject}"
        parts.append(f"{r.intervention} ({r.priority}){who}")
    return ", ".join(parts) or "(nothing)"


def _matches(w: Wanted, r: Recommendation, subject: str) -> bool:
    return r.intervention == w.intervention and ((r.subject == subject) == (w.to == "person"))


def check_level(expect: Expect, recs: Sequence[Recommendation],
                subject: str) -> tuple[list[Wanted], list[Wanted], list[str]]:
    """(missing includes, present excludes, unexpected items for 'exactly')."""
    missing = [w for w in expect.include if not any(_matches(w, r, subject) for r in recs)]
    present = [w for w in expect.exclude if any(_matches(w, r, subject) for r in recs)]
    extra: list[str] = []
    if expect.exactly is not None:
        missing += [w for w in expect.exactly if not any(_matches(w, r, subject) for r in recs)
                    and w not in missing]
        extra = [f"{r.intervention}" + ("" if r.subject == subject else " (to manager)") for r in recs
                 if not any(_matches(w, r, subject) for w in expect.exactly)]
    return missing, present, extra


def _pack(paths: Sequence[Path]) -> tuple[str, RulePaths]:
    pack = RulePaths(_label(p) for p in paths)
    return pack.name, pack


def _installed(name: str) -> Optional[Any]:
    import importlib.metadata
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            return ep
    return None


def _under(file: str, folder: Path) -> bool:
    try:
        Path(file).resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return Path(file).resolve() == folder.resolve()


class Runner:
    """Runs rule tests; engines are built once per rule set and cap.

    ``plugins`` are plugins under development, as (name, module) pairs (plugins.plugin_from_path):
    every engine holds them as if installed (an isolated file only when it names them).
    ``coverage_of`` limits coverage to one pack (a path, or 'builtin') or one plugin (its name)."""

    def __init__(self, rules: Optional[Sequence[Path | str]] = None, engine: Optional[Engine] = None,
                 plugins: Sequence[tuple[str, Any]] = (), coverage_of: Optional[str] = None):
        self.rules = tuple(Path(p) for p in rules) if rules else None     # overrides the files' 'rules'
        self.engine = engine                                               # a ready engine overrides both
        self.plugins = tuple(plugins)
        self.coverage_of = coverage_of
        self.coverage = Coverage()
        self._engines: dict[Any, Engine] = {}
        self._scoped: set[tuple] = set()

    def rule_paths(self, tf: RuleTestFile) -> Optional[tuple[Path, ...]]:
        return self.rules if self.rules is not None else tf.rules

    def _setup(self, tf: RuleTestFile) -> tuple[Any, dict]:
        """(key, Engine.default keyword arguments) of the engine a test file asks for."""
        paths = self.rule_paths(tf)
        packs = tuple(p for p in tf.packs if str(p) != BUILTIN_PACK) + (paths or ())
        builtin = paths is None and (not tf.isolated or any(str(p) == BUILTIN_PACK for p in tf.packs))
        isolated = tf.isolated or paths is not None
        dev = dict(self.plugins)
        plugins: list[tuple[str, Any]] = []
        if isolated:
            problems = []
            for name in tf.plugins:
                if name in dev:
                    plugins.append((name, dev[name]))
                elif _installed(name) is not None:
                    plugins.append((name, _installed(name).load()))
                else:
                    known = sorted(set(dev) | {ep.name for ep in _entry_points()})
                    problems.append(Problem(tf.label, 1, 1, "T122", f"'plugins' names '{name}', which is no installed "
                                            f"plugin nor one given with --plugin{did_you_mean(name, known)}"))
            if problems:
                raise RuleTestError(problems)
        else:
            plugins = list(self.plugins)
        if packs:
            plugins.append(_pack(packs))
        if isolated and not builtin:
            plugins.append(("catalog devrecs.rules", RulePaths([default_rules_dir() / "catalog.yaml"])))
        key = (tuple(str(p.resolve()) for p in packs), tuple(n for n, _ in plugins), builtin, isolated)
        kwargs = dict(plugins=plugins, entry_points=not isolated, disabled=() if builtin else [BUILTIN_OWNER])
        return key, kwargs

    def engine_for(self, tf: RuleTestFile, cap: Any = "engine") -> tuple[Any, Engine]:
        """(rule set key, engine) for a test file; raises RuleTestError with the rule files' problems."""
        if self.engine is not None:
            key: Any = ("engine", id(self.engine))
            base = self.engine
        else:
            key, kwargs = self._setup(tf)
            if (key, "engine") not in self._engines:
                try:
                    self._engines[(key, "engine")] = Engine.default(**kwargs)
                except RuleFileError as exc:
                    raise RuleTestError(exc.problems) from None
                except PluginError as exc:
                    raise RuleTestError([Problem(tf.label, 1, 1, "T122", str(exc))]) from None
            base = self._engines[(key, "engine")]
        if cap == "engine":
            return key, base
        if (key, cap) not in self._engines:
            self._engines[(key, cap)] = base.with_cap(cap)
        return key, self._engines[(key, cap)]

    def owners(self, engine: Engine) -> dict[str, str]:
        """The plugin (or pack) each rule file of ``engine`` comes from, by file label."""
        out: dict[str, str] = {}
        if engine.plugins is None:
            return out
        for name, raw in engine.plugins.rule_paths():
            path = Path(raw)
            files = sorted(path.iterdir()) if path.is_dir() else [path]
            for file in files:
                out.setdefault(_label(file), name)
        return out

    def _group(self, rule: Rule, owner: str) -> str:
        if _under(rule.file, default_rules_dir()):
            return "built-in packs"
        if owner.startswith("pack "):
            return owner[len("pack "):]
        return f"plugin '{owner}'" if owner else "the engine"

    def in_scope(self, tf: RuleTestFile, engine: Engine) -> list[tuple[Rule, str]]:
        """(rule, group) of the rules of ``engine`` this file's tests count."""
        owners = self.owners(engine)
        paths = [p for p in tf.packs if str(p) != BUILTIN_PACK] + list(self.rule_paths(tf) or ())
        builtin = any(str(p) == BUILTIN_PACK for p in tf.packs)
        out = []
        for rule in engine.rules:
            owner = owners.get(rule.file, "")
            if self.coverage_of is not None:
                wanted = self.covers(rule, owner, self.coverage_of)
            elif tf.named and self.engine is None:
                wanted = (owner in tf.plugins or any(_under(rule.file, p) for p in paths)
                          or (builtin and _under(rule.file, default_rules_dir())))
            else:
                wanted = True
            if wanted:
                out.append((rule, self._group(rule, owner)))
        return out

    @staticmethod
    def covers(rule: Rule, owner: str, what: str) -> bool:
        """Whether ``rule`` (from plugin ``owner``) belongs to ``what``: a plugin's name, 'builtin',
        or a pack's file or folder."""
        if what == BUILTIN_PACK:
            return _under(rule.file, default_rules_dir())
        if owner == what:
            return True
        return Path(what).exists() and _under(rule.file, Path(what))

    def _scope(self, tf: RuleTestFile, key: Any, engine: Engine) -> None:
        if (tf.path, key) in self._scoped:
            return
        self._scoped.add((tf.path, key))
        for rule, group in self.in_scope(tf, engine):
            self.coverage.add(rule, group)

    def check(self, tf: RuleTestFile) -> list[Problem]:
        """Problems of a loaded file that need its engine: unknown intervention and rule ids."""
        if tf.problems:
            return list(tf.problems)
        try:
            _, engine = self.engine_for(tf)
        except RuleTestError as exc:
            return exc.problems
        out: list[Problem] = self.check_plugins(tf, engine)
        for test in tf.tests:
            out += list(test.problems) + self.check_ids(test, engine)
        return out

    def check_plugins(self, tf: RuleTestFile, engine: Engine) -> list[Problem]:
        """T122 for a plugin the file names that the engine does not hold."""
        if engine.plugins is None or self.engine is not None:
            return []
        known = [name for name, _ in engine.plugins.pm.list_name_plugin()
                 if not name.startswith(("devrecs.", "pack ", "catalog "))]
        return [Problem(tf.label, 1, 1, "T122", f"'plugins' names '{name}', which is no installed plugin nor one "
                        f"given with --plugin{did_you_mean(name, known)}") for name in tf.plugins if name not in known]

    def check_coverage_of(self, files: Sequence[RuleTestFile]) -> list[Problem]:
        """A problem when --coverage-of names no pack or plugin of the engines the files use."""
        what = self.coverage_of
        owners: set[str] = set()
        for tf in files:
            _, engine = self.engine_for(tf)
            found = self.owners(engine)
            owners |= {o for o in found.values() if not o.startswith(("pack ", "catalog "))}
            if any(self.covers(r, found.get(r.file, ""), what) for r in engine.rules):
                return []
        names = sorted(owners - {BUILTIN_OWNER}) + [BUILTIN_PACK]
        return [Problem(str(what), 1, 1, "T123", f"--coverage-of {what}: no rule of the tests' engines comes from "
                        f"this pack or plugin{did_you_mean(str(what), names)}; plugins and packs: {', '.join(names)}")]

    def check_ids(self, test: RuleTest, engine: Engine) -> list[Problem]:
        out = []
        ids = engine.catalog.ids
        expects = [test.expect] + [e for _, e in test.teams] + [e for _, e in test.people_expect]
        for e in expects:
            for w in e.include + e.exclude + (e.exactly or ()):
                if w.intervention not in engine.catalog:
                    out.append(Problem(test.file, w.loc[0], w.loc[1], "T120",
                                       f"unknown intervention '{w.intervention}'{did_you_mean(w.intervention, ids)}"))
        rule_ids = [r.id for r in engine.rules]
        for rid, loc in test.fired + test.not_fired:
            if rid not in rule_ids:
                out.append(Problem(test.file, loc[0], loc[1], "T121",
                                   f"unknown rule '{rid}'{did_you_mean(rid, rule_ids)}"))
        if test.org:
            person_ids = {p["id"] for p in test.people}
            for pid, _ in test.people_expect:
                if pid not in person_ids:
                    out.append(Problem(test.file, test.line, 1, "T104",
                                       f"'expect.people' names '{pid}', who is not among this test's people"
                                       f"{did_you_mean(pid, person_ids)}"))
        return out

    def run(self, tf: RuleTestFile, test: RuleTest) -> Outcome:
        problems = list(test.problems)
        try:
            key, engine = self.engine_for(tf, test.cap)
        except RuleTestError as exc:
            return Outcome(test, "error", tuple(str(p) for p in exc.problems))
        problems += self.check_plugins(tf, engine) + self.check_ids(test, engine)
        if problems:
            return Outcome(test, "error", tuple(str(p) for p in problems))
        self._scope(tf, key, engine)
        coverage = self.coverage
        day = test.as_of or dt.date.today()
        try:
            if test.org:
                return self._run_org(test, engine, coverage, day)
            return self._run_person(test, engine, coverage, day)
        except DevrecsError as exc:
            return Outcome(test, "error", (str(exc),))

    def _fired_check(self, test: RuleTest, fired: set[str]) -> list[str]:
        lines = []
        missing = [r for r, _ in test.fired if r not in fired]
        wrong = [r for r, _ in test.not_fired if r in fired]
        if missing:
            lines.append(f"expected these rules to fire: {', '.join(missing)}")
        if wrong:
            lines.append(f"expected these rules not to fire: {', '.join(wrong)}")
        if missing or wrong:
            lines.append(f"rules that fired: {', '.join(sorted(fired)) or '(none)'}")
        return lines

    def _run_person(self, test: RuleTest, engine: Engine, coverage: Coverage, day: dt.date) -> Outcome:
        raw = test.person
        person = engine.prepare(raw)
        view = masked(person, test.audience, engine.catalog) if test.audience else person
        evaluation = engine.evaluate(view, day)
        fired = {r.id for r in evaluation.fired}
        get = lambda path: fact_value(evaluation.person, path, day)  # noqa: E731
        for rule in engine.rules:
            if rule.scope == "person":
                coverage.record(rule, get, rule.id in fired)
        recs = engine.recommend_for(person, test.audience, day) if test.audience else evaluation.recommendations
        missing, present, extra = check_level(test.expect, recs, person.id)
        problems = self._fired_check(test, fired)
        if not (missing or present or extra or problems):
            return Outcome(test, "passed")
        audience = test.audience or "hr"
        lines = [f"person {person.id}, as seen by {audience}, as of {day.isoformat()}"]
        if test.expect.include:
            lines.append(f"expected to include: {', '.join(map(str, test.expect.include))}")
        if test.expect.exclude:
            lines.append(f"expected to exclude: {', '.join(map(str, test.expect.exclude))}")
        if test.expect.exactly is not None:
            lines.append(f"expected exactly: {', '.join(map(str, test.expect.exactly)) or '(nothing)'}")
        lines.append(f"got: {_got_text(recs, person.id)}")
        if missing:
            lines.append(f"missing: {', '.join(map(str, missing))}")
        if present:
            lines.append(f"should not be there: {', '.join(map(str, present))}")
        if extra:
            lines.append(f"not expected: {', '.join(extra)}")
        lines += problems
        from ..render.explanations import TextRenderer
        renderer = TextRenderer(width=100)
        for w in list(dict.fromkeys(missing + present)):
            if w.to != "person":
                continue
            explanation = engine.explain(view, w.intervention, audience, day)
            lines.append(f"explanation of {w.intervention}:")
            lines += ["  " + line for line in renderer.render(explanation).splitlines()[2:-1] if line.strip()]
        return Outcome(test, "failed", tuple(lines))

    def _run_org(self, test: RuleTest, engine: Engine, coverage: Coverage, day: dt.date) -> Outcome:
        result = engine.recommend_organization(list(test.people), as_of=day,
                                               open_leadership_positions=test.open_positions)
        fired: set[str] = set()
        by_scope: dict[str, list[Rule]] = {}
        for rule in engine.rules:
            by_scope.setdefault(rule.scope, []).append(rule)
        for person, _ in result.people:
            evaluation = engine.evaluate(person, day)
            ids = {r.id for r in evaluation.fired}
            fired |= ids
            get = lambda path, p=evaluation.person: fact_value(p, path, day)  # noqa: E731
            for rule in by_scope.get("person", ()):
                coverage.record(rule, get, rule.id in ids)
        subjects = [("team", facts) for facts in result.team_facts.values()]
        subjects.append(("organization", result.organization_facts))
        for scope, facts in subjects:
            for rule in by_scope.get(scope, ()):
                if holds(rule.when, facts.get):
                    fired.add(rule.id)
                coverage.record(rule, facts.get)
        lines: list[str] = []

        def level(what: str, expect: Expect, recs: Sequence[Recommendation], subject: str, facts: Any) -> None:
            missing, present, extra = check_level(expect, recs, subject)
            if not (missing or present or extra):
                return
            lines.append(f"{what}: got {_got_text(recs, subject)}")
            if missing:
                lines.append(f"  missing: {', '.join(map(str, missing))}")
            if present:
                lines.append(f"  should not be there: {', '.join(map(str, present))}")
            if extra:
                lines.append(f"  not expected: {', '.join(extra)}")
            if facts is not None:
                lines.append("  facts: " + ", ".join(f"{k} {v}" for k, v in facts.items()))

        level("organization", test.expect, result.organization, "organization", result.organization_facts)
        for manager, expect in test.teams:
            recs = result.teams.get(manager, [])
            level(f"team of manager {manager}", expect, recs, manager, result.team_facts.get(manager))
        people = {p.id: recs for p, recs in result.people}
        for pid, expect in test.people_expect:
            level(f"person {pid}", expect, people.get(pid, []), pid, None)
        lines += self._fired_check(test, fired)
        if not lines:
            return Outcome(test, "passed")
        return Outcome(test, "failed", (f"organization of {len(test.people)} people, as of {day.isoformat()}",
                                        *lines))


@attrs.frozen
class Report:
    outcomes: tuple[Outcome, ...]
    coverage: Coverage

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "failed")

    @property
    def errors(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "error")

    @property
    def passed(self) -> int:
        return sum(1 for o in self.outcomes if o.passed)

    def summary(self) -> str:
        n = len(self.outcomes)
        text = f"{n} test{'s' if n != 1 else ''}: {self.passed} passed, {self.failed} failed"
        return text + (f", {self.errors} errors" if self.errors else "")

    def to_dict(self) -> dict:
        return {"tests": [o.to_dict() for o in self.outcomes], "passed": self.passed, "failed": self.failed,
                "errors": self.errors, "coverage": self.coverage.to_dict()}


def default_test_paths() -> list[Path]:
    """The tests shipped with the built-in packs (rules/tests/)."""
    return [default_rules_dir() / DEFAULT_TESTS_DIR]


def run_tests(paths: Optional[Sequence[Path | str]] = None, rules: Optional[Sequence[Path | str]] = None, *,
              plugins: Sequence[tuple[str, Any]] = (), coverage_of: Optional[str] = None) -> Report:
    """Load every test file under ``paths`` (default: the built-in packs' tests), check them all,
    then run them. ``plugins`` are plugins under development ((name, module) pairs);
    ``coverage_of`` counts only the rules of one pack or plugin. Raises RuleTestError listing
    every problem before anything runs."""
    files = find_test_files(paths or default_test_paths())
    if not files:
        raise RuleTestError([Problem(str(p), 1, 1, "T102", "no rule-test files (test_*.yaml with 'tests:') here")
                             for p in (paths or default_test_paths())])
    runner = Runner(rules, plugins=plugins, coverage_of=coverage_of)
    loaded = [load_test_file(f) for f in files]
    problems = list(dict.fromkeys(p for tf in loaded for p in runner.check(tf)))   # rule problems once
    if problems:
        raise RuleTestError(problems)
    if coverage_of is not None:
        problems = runner.check_coverage_of(loaded)
        if problems:
            raise RuleTestError(problems)
    outcomes = tuple(runner.run(tf, t) for tf in loaded for t in tf.tests)
    return Report(outcomes, runner.coverage)


def make_person(data: Optional[dict] = None, /, **facts: Any) -> Person:
    """A validated Person from facts (``id`` defaults to 'person'): make_person(track='manager')."""
    raw = dict(data or {}, **facts)
    raw.setdefault("id", "person")
    return person_from_dict(raw)


def engine_with(*plugins: Any, **kwargs: Any) -> Any:
    """An Engine with the built-ins and exactly ``plugins`` (modules, objects, or (name, plugin)
    pairs): installed plugins are not loaded. For plugin authors' tests::

        engine = engine_with(devrecs_myorg)
        assert "my-intervention" in engine.catalog
    """
    from ..app import Engine
    return Engine.default(plugins=list(plugins), entry_points=False, **kwargs)


__all__ = ["Coverage", "Outcome", "Report", "RuleTest", "RuleTestError", "Runner", "RuleTestFile",
           "engine_with", "find_test_files", "is_test_file", "load_test_file", "make_person", "run_tests"]
