"""Write docs/reference.md from the code: hooks, protocols, facts, audiences, ids and codes.

    python scripts/make_reference.py            # write docs/reference.md
    python scripts/make_reference.py --check    # exit 1 when docs/reference.md is stale

Everything in the reference is read from devrecs itself (hookspecs, facts,
audience, catalog, the built-in packs, lint's codes) or produced by it: each
error, rule-test and lint code's example is run through validate, the rule-test
loader or lint, and the message shown is the one devrecs gave. What the code
cannot say is kept here as data, and tests/test_reference.py fails when it is
missing: an example for every hook (HOOK_EXAMPLES), an example input for every
code found in the sources (CODE_EXAMPLES), and the meaning of every person fact
(FACT_MEANINGS, the vocabulary of the domain contract in our own words).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import inspect
import os
import re
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "reference.md"
CODE_PATTERN = re.compile(r"\"([ELT]1\d\d)\"")

# -- what the code cannot say ------------------------------------------------------------

FACT_MEANINGS = {
    "id": "the person's stable id",
    "name": "the name shown to readers",
    "track": "the role family today: an individual contributor, or a manager of people",
    "level": "the job level; 1 is the entry level",
    "career_stage": "how far into their career (derived from experience when the record has none)",
    "performance": "the latest performance rating, in three buckets",
    "potential": "potential from the talent review; with performance it places the person in the 9-box",
    "nine_box": "the 9-box cell, from performance and potential (never recorded on its own)",
    "aspiration": "the path the person says they want: stay technical, manage, or not decided",
    "leadership_motive": "why someone who wants to lead wants it: to serve others, or for power",
    "gaps": "development needs: a skill, how severe the gap is, and who saw it",
    "interests": "topics the person wants to learn (compared as lowercase words joined by hyphens)",
    "engagement": "engagement, from the survey",
    "flight_risk": "how likely the person is to leave",
    "performance_plan": "a performance plan in place: none, informal, or a formal plan (pip); sensitive",
    "wellbeing_concern": "a wellbeing concern on record; health data, the most protected fact",
    "months_in_role": "months in the current role",
    "months_since_promotion": "months since the last promotion",
    "tenure_years": "years of experience (career_stage is worked out from it when the record has none)",
    "compa_ratio": "pay over the market midpoint (1.0 is at market)",
    "pipeline.status": "place in the leadership pipeline: none, participant, or graduate",
    "pipeline.months_waiting": "months a pipeline graduate has waited for a leadership seat",
    "manager_id": "the person's manager (team rules go to the manager)",
    "history": "development done before: the intervention, its date and its outcome",
    "history_complete": "whether the source holds the person's whole development history (since history_since)",
}

# team and organization facts the code gives no words for
SCOPE_MEANINGS = {
    "team.manager_months_in_role": "the manager's months in their role",
    "team.manager_engagement": "the manager's own engagement",
    "organization.headcount": "people in the organization",
    "organization.high_potential_ics": "individual contributors rated potential high",
    "organization.graduates_waiting_max_months": "the longest wait of a pipeline graduate for a seat, in months",
}

# who may read a fact without it being named to them (domain.md: "unquoted"): it may shape
# what they are offered, never be quoted to them
UNQUOTED = {"employee": ("potential", "nine_box", "flight_risk", "leadership_motive", "compa_ratio", "engagement")}

HOOK_EXAMPLES = {
    "devrecs_rule_paths": '''
        @devrecs.hookimpl
        def devrecs_rule_paths():
            return [Path(__file__).parent / "rules"]
    ''',
    "devrecs_interventions": '''
        @devrecs.hookimpl
        def devrecs_interventions():
            return [{"id": "myorg-guild", "title": "The engineering guild",
                     "description": "Monthly meetings of engineers who stay technical.",
                     "kind": "relationship", "subject": "person",
                     "audiences": ["employee", "manager", "hr", "executive"]}]
    ''',
    "devrecs_register_sources": '''
        class HrisSource:
            extensions = (".hris",)
            tabular = False

            def __init__(self, location, **options):
                self.location = location

            def __iter__(self):
                for n, record in enumerate(read_hris(self.location), 1):
                    yield RecordLabel(self.location, n, "record"), record

        @devrecs.hookimpl
        def devrecs_register_sources(register):
            register("hris", HrisSource)
    ''',
    "devrecs_enrich_person": '''
        @devrecs.hookimpl
        def devrecs_enrich_person(person):
            site = SITES.get(person.id)           # loaded once, not per person
            return {"site": site} if site else None
    ''',
    "devrecs_register_formats": '''
        class CsvRenderer:
            def render(self, explanation):
                return "\\n".join(f"{explanation.person},{item.intervention},{item.status}"
                                 for item in explanation.items)

        @devrecs.hookimpl
        def devrecs_register_formats(register):
            register("csv", CsvRenderer())
    ''',
    "devrecs_recommendations_made": '''
        @devrecs.hookimpl
        def devrecs_recommendations_made(subject, recommendations, audience):
            for rec in recommendations:
                tickets.open(subject, rec.intervention, audience)
    ''',
}


def _rule(id_: str, when: str, recommend: str = "[coaching]", extra: str = "", priority: int = 50,
          rationale: bool = True, source: bool = True) -> str:
    text = (f"  - id: {id_}\n    title: {id_}\n    when: {when}\n    recommend: {recommend}\n"
            f"    priority: {priority}\n")
    text += extra
    text += "    rationale: why\n" if rationale else ""
    text += "    source: policy\n" if source else ""
    return text


def _pack(*rules: str) -> str:
    return "ruleset: example\nrules:\n" + "".join(rules)


_MANY = "{all: [" + ", ".join(f"{{any: [{{level: {n}}}, {{months_in_role: {n}}}]}}" for n in range(40)) + "]}"
_CATALOG_ENTRY = ("interventions:\n  - id: {id}\n    title: T\n    description: D\n    kind: learning\n"
                  "    subject: person\n    audiences: [hr]\n")
_TESTS = "tests:\n  - name: one\n    person: {performance: high}\n    expect: {include: [coaching]}\n"

# code -> (how it is checked: rules | lint | tests, {file name: text}, extra argument)
SHOWN_LINES = 40      # an example file longer than this is shown by its start

CODE_EXAMPLES: dict[str, tuple[str, dict[str, str], Any]] = {
    "E100": ("rules", {"bad.yaml": "ruleset: example\nrules: [\n"}, None),
    "E101": ("rules", {"r.yaml": _pack(_rule("a", "\n      performance: high\n      performance: low"))}, None),
    "E102": ("rules", {"r.yaml": "ruleset: example\nrules:\n  - id: a\n    title: A\n    when: {performance: high}\n"
                                 "    rationale: r\n    source: s\n"}, None),
    "E103": ("rules", {"r.yaml": _pack(_rule("a", "{performance: high}", extra="    reccomend: [mentoring]\n"))},
             None),
    "E104": ("rules", {"r.yaml": _pack(_rule("a", "{performance: high}", priority=150))}, None),
    "E110": ("rules", {"r.yaml": _pack(_rule("a", "{performnce: high}"))}, None),
    "E111": ("rules", {"r.yaml": _pack(_rule("a", "{level: {gte: 3}}"))}, None),
    "E112": ("rules", {"r.yaml": _pack(_rule("a", "{performance: hihg}"))}, None),
    "E113": ("rules", {"r.yaml": _pack(_rule("a", "{gaps: {any: {skil: communication}}}"))}, None),
    "E120": ("rules", {"r.yaml": _pack(_rule("a", "{performance: high}", "[mentorin]"))}, None),
    "E121": ("rules", {"r.yaml": _pack(_rule("a", "{performance: high}"), _rule("a", "{performance: low}"))}, None),
    "E122": ("rules", {"r.yaml": _pack(_rule("a", "{performance: high}",
                                             "[{intervention: coaching, to: manger}]"))}, None),
    "E123": ("rules", {"catalog.yaml": _CATALOG_ENTRY.format(id="mentoring")}, None),
    "E130": ("rules", {"r.yaml": _pack(_rule("a", _MANY))}, None),
    "E131": ("rules", {"r.yaml": _pack(*[_rule(f"many-{i}", f"{{extra.score: {{ge: {i}}}}}") for i in range(512)])},
             None),
    "E140": ("rules", {"r.yaml": _pack(_rule("a", "{extra.gender: female}"))}, None),
    "T100": ("tests", {"test_a.yaml": "tests: [\n"}, None),
    "T101": ("tests", {"test_a.yaml": _TESTS + _TESTS[len("tests:\n"):]}, None),
    "T102": ("tests", {"test_a.yaml": "tests:\n  - name: one\n    person: {performance: high}\n"}, None),
    "T103": ("tests", {"test_a.yaml": _TESTS + "    expcet: {}\n"}, None),
    "T104": ("tests", {"test_a.yaml": _TESTS.replace("    person:", "    cap: many\n    person:")}, None),
    "T110": ("tests", {"test_a.yaml": _TESTS.replace("high}", "hihg}")}, None),
    "T120": ("tests", {"test_a.yaml": _TESTS.replace("[coaching]", "[coachin]")}, None),
    "T121": ("tests", {"test_a.yaml": _TESTS.replace("include: [coaching]", "fired: [high-performer-coachin]")},
             None),
    "T122": ("tests", {"test_a.yaml": "isolated: true\nplugins: [myorgg]\n" + _TESTS}, None),
    "T123": ("tests", {"test_a.yaml": _TESTS}, "myorg"),
    "L101": ("lint", {"r.yaml": _pack(_rule("a", "{performance: high}"), _rule("b", "{performance: high}"))}, None),
    "L102": ("lint", {"r.yaml": _pack(_rule("a", "{performance: high}"),
                                      _rule("b", "{all: [{performance: high}, {track: manager}]}", priority=40))},
             None),
    "L103": ("lint", {"r.yaml": _pack(_rule("a", "{all: [{performance: high}, {performance: low}]}"))}, None),
    "L104": ("lint", {"r.yaml": _pack(_rule("a", "{all: [{performance: high}, "
                                                 "{any: [{performance: low}, {track: manager}]}]}"))}, None),
    "L105": ("lint", {"r.yaml": _pack(_rule("a", "{performance: high}", "[mentoring]"),
                                      _rule("b", "{performance: {ge: medium}}", "[coaching]",
                                            "    suppresses: [mentoring]\n"))}, None),
    "L106": ("lint", {"r.yaml": _pack(_rule("a", "{performance: high}", "[mentoring, learning-time]"),
                                      _rule("b", "{performance: {ge: medium}}", "[coaching]",
                                            "    suppresses: [mentoring]\n"))}, None),
    "L107": ("lint", {"r.yaml": _pack(_rule("a", "{performance: high}")),
                      "catalog.yaml": _CATALOG_ENTRY.format(id="myorg-unused")}, None),
    "L108": ("lint", {"r.yaml": _pack(_rule("a", "{performance: high}", "[mentoring]",
                                            "    suppresses: [coaching]\n"),
                                      _rule("b", "{track: manager}", "[coaching]",
                                            "    suppresses: [mentoring]\n"))}, None),
    "L109": ("lint", {"r.yaml": _pack(_rule("a", "{performance: high}", rationale=False))}, None),
    "L110": ("lint", {"r.yaml": _pack(_rule("a", "{performance: high}", source=False))}, None),
    "L112": ("lint", {"r.yaml": _pack(_rule("a", "{performance: high}"))}, None),
    "L140": ("lint", {"r.yaml": _pack(_rule("a", "{extra.empage: 40}"))}, None),
    "L111": ("lint", {"r.yaml": _pack(_rule("a", "{performance: high}", extra="    suppresses: [mentoring]\n"))},
             None),
}

# -- reading the code -------------------------------------------------------------------


def codes_in_sources() -> set[str]:
    """Every E1xx, L1xx and T1xx code the sources give."""
    found: set[str] = set()
    for file in (ROOT / "src" / "devrecs").rglob("*.py"):
        found |= set(CODE_PATTERN.findall(file.read_text(encoding="utf-8")))
    return found


def hooks() -> list[Any]:
    from devrecs.plugins import hookspecs
    return [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction)
            if name.startswith("devrecs_") and hasattr(f, "devrecs_spec")]


def _type(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return "Any"
    return str(annotation).replace("typing.", "")


@contextlib.contextmanager
def _quiet_plugins() -> Iterator[None]:
    """No installed plugin takes part: the reference is the same wherever it is made."""
    names = sorted({ep.name for ep in importlib.metadata.entry_points(group="devrecs")})
    before = os.environ.get("DEVRECS_DISABLE_PLUGINS")
    os.environ["DEVRECS_DISABLE_PLUGINS"] = ",".join(names)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("DEVRECS_DISABLE_PLUGINS", None)
        else:
            os.environ["DEVRECS_DISABLE_PLUGINS"] = before


@contextlib.contextmanager
def _in(folder: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def example_message(code: str) -> tuple[dict[str, str], str]:
    """The example's files and the message devrecs gives for them (the line with ``code``)."""
    from devrecs.authoring.lint import lint
    from devrecs.authoring.ruletests import RuleTestError, run_tests
    from devrecs.authoring.validate import check
    from devrecs.packs import default_rules_dir
    kind, files, arg = CODE_EXAMPLES[code]
    with tempfile.TemporaryDirectory() as tmp, _in(Path(tmp)):
        for name, text in files.items():
            Path(name).write_text(text, encoding="utf-8")
        names = list(files)
        if kind == "rules":
            lines = [str(p) for p in check(names).problems]
        elif kind == "lint":
            report = lint(names)
            lines = [str(p) for p in report.checked.problems] + [str(f) for f in report.findings]
        else:
            try:
                report = run_tests(names, coverage_of=arg)
                lines = [f"{o.status}: {d}" for o in report.outcomes for d in o.details]
            except RuleTestError as exc:
                lines = [str(p) for p in exc.problems]
        real = str(Path(tmp).resolve())
    wanted = [line for line in lines if f" {code} " in line]
    if not wanted:
        raise SystemExit(f"make_reference: the example of {code} gave no {code}; it gave: {lines}")
    message = wanted[0].replace(real + os.sep, "").replace(str(default_rules_dir()), "<devrecs>/rules")
    return files, re.sub(r"(<devrecs>/rules/[\w.-]+):\d+", r"\1:<line>", message)


# -- writing -------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__ or "")


def section_vocabulary(out: list[str]) -> None:
    from devrecs.audience import AUDIENCES
    out += ["## 1. The vocabulary", "",
            "devrecs speaks about **people** (the facts below), **interventions** (the development a",
            "person, a manager or the organization can be offered: the catalog in section 5) and",
            "**audiences**, the four kinds of reader: " + ", ".join(f"`{a}`" for a in AUDIENCES) + ".",
            "Rules (section 6) join them: when a person's facts meet a rule's condition, the rule",
            "recommends interventions, and each audience sees only what it may see (section 4).",
            "These ids are a contract between rule packs, plugins, tests and other programs: they",
            "are added to, never renamed.", "",
            "A fact the record does not hold is **unknown**, never a value: a condition on it is",
            "neither true nor false, a rule holds only when its condition is true, and `missing:` /",
            "`exists:` test for it (rules.md, section 5).", ""]


def section_hooks(out: list[str]) -> None:
    out += ["## 2. Plugin hooks", "",
            "A plugin is a module or object whose functions are marked `@devrecs.hookimpl` and named",
            "like these hooks (docs/plugins.md). pluggy calls them with keyword arguments; an",
            "implementation may take fewer arguments than the hook names.", ""]
    for spec in hooks():
        name = spec.__name__
        sig = inspect.signature(spec)
        args = ", ".join(f"`{p.name}: {_type(p.annotation)}`" for p in sig.parameters.values()) or "none"
        out += [f"### `{name}`", "",
                f"- arguments: {args}",
                f"- returns: `{_type(sig.return_annotation)}`", "",
                _doc(spec), "", "```python", textwrap.dedent(HOOK_EXAMPLES[name]).strip(), "```", ""]


def section_protocols(out: list[str]) -> None:
    import devrecs.intake.sources as sources
    from devrecs import explain
    from devrecs.render import explanations as render
    out += ["## 3. Protocols: data sources and renderers", "",
            "### Data sources", "", _doc(sources), ""]
    for cls in (sources.RecordLabel, sources.Unreadable, sources.SourceError):
        sig = inspect.signature(cls.__new__ if cls is sources.RecordLabel else cls.__init__)
        params = ", ".join(str(p) for p in list(sig.parameters.values())[1:])
        out += [f"#### `devrecs.intake.sources.{cls.__name__}({params})`", "", _doc(cls), ""]
    out += ["### Renderers", "",
            "A renderer (`devrecs.render.explanations.Renderer`) has one method, `render(explanation) -> str`, "
            "where the explanation is a `devrecs.explain.Explanation`; `devrecs_register_formats` "
            "adds one under a name for `--format`. Built-in formats: "
            + ", ".join(f"`{n}`" for n in render.FORMATS) + ". What an explanation holds:", ""]
    import attrs
    for cls in (explain.Explanation, explain.Item, explain.RuleCheck, explain.Check, explain.Change):
        fields = ", ".join(f"`{f.name}`" for f in attrs.fields(cls))
        out += [f"- `{cls.__name__}`: {fields}"]
    out.append("")


KIND_VALUES = {"int": "a whole number", "float": "a number", "bool": "true or false", "str": "text",
               "strlist": "a list of text", "any": "text, a number or true/false"}


def _values(spec: Any) -> str:
    if spec.item_fields:
        return "a list of items: " + ", ".join(f"`{k}` ({_values(f)})" for k, f in spec.item_fields.items())
    if spec.values:
        return ", ".join(f"`{v}`" for v in spec.values) + (" (low to high)" if spec.ordered else "")
    return KIND_VALUES.get(spec.kind, spec.kind)


def meaning_of(scope: str, path: str, spec: Any) -> str:
    if scope == "person":
        return FACT_MEANINGS.get(path, "")
    return spec.doc or SCOPE_MEANINGS.get(f"{scope}.{path}", "")


def _fact_rows(scope: str, facts: dict) -> list[str]:
    from devrecs import explain
    person = scope == "person"
    head = "| fact | type | values | hidden from | how a person can change it | meaning |" if person else \
        "| fact | type | values | meaning |"
    rows = [head, "|---|---|---|---|---|---|" if person else "|---|---|---|---|"]
    for path, spec in facts.items():
        meaning = _cell(meaning_of(scope, path, spec))
        if not person:
            rows.append(f"| `{path}` | {spec.kind} | {_cell(_values(spec))} | {meaning} |")
            continue
        change = ("grows with time" if path in explain.GROWS else "a gap closes" if path in explain.CLOSES
                  else "the person's choice" if path in explain.CHOSEN else "-")
        rows.append(f"| `{path}` | {spec.kind} | {_cell(_values(spec))} | {', '.join(spec.hidden_from) or '-'} | "
                    f"{change} | {meaning} |")
    return rows


def section_facts(out: list[str]) -> None:
    from devrecs import explain
    from devrecs.facts import ORG_FACTS, PERSON_FACTS, SKILLS, TEAM_FACTS
    out += ["## 4. Facts and audiences", "",
            "### Facts about a person", "",
            "Rules test these paths; `extra.<name>` reaches an organization's own facts (any",
            "scalar). \"How a person can change it\" is what *what it would take* (`devrecs explain",
            "--intervention`) may propose: clocks grow by at most "
            f"{explain.GROWTH_MONTHS} months, at most {explain.MAX_CHANGES} facts change at once, and the "
            f"search stops after {explain.MAX_SETS} change sets, saying so. It never proposes "
            + ", ".join(f"`{p}`" for p in explain.NEVER_PROPOSED) + ", nor a fact hidden from the reader.", ""]
    out += _fact_rows("person", PERSON_FACTS)
    out += ["", "Skills (`gaps[].skill`): " + ", ".join(f"`{s}`" for s in SKILLS) + ".", "",
            "### Facts of a team (rules with `scope: team`, recommended to the team's manager)", ""]
    out += _fact_rows("team", TEAM_FACTS)
    out += ["", "### Facts of the organization (rules with `scope: organization`)", ""]
    out += _fact_rows("organization", ORG_FACTS)
    out += [""]


def section_audiences(out: list[str], engine: Any) -> None:
    from devrecs.audience import AUDIENCES, hidden_facts
    out += ["### Audiences", "",
            "A fact can be protected from an audience in two ways. **Hidden**: nothing that",
            "audience is shown may depend on it (not the list, its order or length, an explanation",
            "or an error); devrecs masks it before the rules run. **Unquoted**: it may shape what",
            "the audience is offered, but it is never named or hinted at in what they read (the",
            "wording of each rule and catalog entry for that audience sees to it). Executives see",
            "people only in aggregate.", "",
            "| audience | facts hidden from it | facts unquoted to it | interventions it may not see |",
            "|---|---|---|---|"]
    for audience in AUDIENCES:
        facts = ", ".join(f"`{f}`" for f in sorted(hidden_facts(audience))) or "-"
        unquoted = ", ".join(f"`{f}`" for f in UNQUOTED.get(audience, ())) or "-"
        unseen = [f"`{i.id}`" + (" (until released)" if audience in i.released_to else "")
                  for i in engine.catalog if audience not in i.audiences]
        out.append(f"| `{audience}` | {facts} | {unquoted} | {', '.join(unseen) or '-'} |")
    out.append("")


def section_ids(out: list[str], engine: Any) -> None:
    from devrecs.packs import default_rules_dir
    by: dict[str, list[str]] = {}
    for rule in engine.rules:
        for t in rule.recommend:
            by.setdefault(t.intervention, []).append(rule.id)
    out += ["## 5. Built-in interventions", "",
            "| id | title | kind | subject | audiences | rules that recommend it |", "|---|---|---|---|---|---|"]
    for i in sorted(engine.catalog, key=lambda x: x.id):
        once = "".join(f", {a} once released" for a in i.released_to)
        out.append(f"| `{i.id}` | {_cell(i.title)} | {i.kind} | {i.subject} | {', '.join(i.audiences)}{once} | "
                   f"{', '.join(f'`{r}`' for r in by.get(i.id, [])) or '-'} |")
    out += ["", "## 6. Built-in rules", "",
            "| id | pack | scope | priority | recommends | suppresses |", "|---|---|---|---|---|---|"]
    base = default_rules_dir().resolve()
    for rule in engine.rules:
        pack = Path(rule.file).resolve().relative_to(base).as_posix()
        recs = ", ".join(f"`{t.intervention}`" + (" (to manager)" if t.to == "manager" else "") for t in rule.recommend)
        out.append(f"| `{rule.id}` | {pack} | {rule.scope} | {rule.priority} | {recs} | "
                   f"{', '.join(f'`{x}`' for x in rule.suppresses) or '-'} |")
    out.append("")


def section_codes(out: list[str]) -> None:
    from devrecs.authoring.lint import CODES
    out += ["## 7. Error, rule-test and lint codes", "",
            "Each example is a file that gives the code; the message is the one devrecs printed",
            "for it when this page was made. `E1xx` are problems of rule, catalog and table files",
            "(validate, and every command that loads rules: exit 1 for validate, 2 elsewhere);",
            "`T1xx` of rule-test files (`devrecs test`); `L1xx` are lint findings, with a severity.", ""]
    for code in sorted(codes_in_sources()):
        files, message = example_message(code)
        title = f"{CODES[code].severity}: {CODES[code].title}" if code in CODES else ""
        out += [f"### {code}" + (f" ({title})" if title else ""), ""]
        if code in CODES:
            out += [CODES[code].explanation, ""]
        for name, text in files.items():
            lines = text.rstrip().splitlines()
            if len(lines) > SHOWN_LINES:        # a generated file: its start, and how it goes on
                lines = lines[:SHOWN_LINES] + [f"# ... {len(lines) - SHOWN_LINES} more lines of rules like these"]
            out += [f"`{name}`:", "", "```yaml", *lines, "```", ""]
        if CODE_EXAMPLES[code][2]:
            out += [f"run with `--coverage-of {CODE_EXAMPLES[code][2]}`", ""]
        out += ["```text", message, "```", ""]


def render_reference() -> str:
    from devrecs import Engine
    missing = sorted(set(h.__name__ for h in hooks()) - set(HOOK_EXAMPLES))
    if missing:
        raise SystemExit(f"make_reference: no example for the hooks {', '.join(missing)} (HOOK_EXAMPLES)")
    from devrecs.facts import SCOPES
    missing = sorted(f"{scope}.{path}" for scope, facts in SCOPES.items() for path, spec in facts.items()
                     if not meaning_of(scope, path, spec))
    if missing:
        raise SystemExit(f"make_reference: no meaning for the facts {', '.join(missing)} "
                         f"(FACT_MEANINGS, SCOPE_MEANINGS or the FactSpec's doc)")
    missing = sorted(codes_in_sources() - set(CODE_EXAMPLES))
    if missing:
        raise SystemExit(f"make_reference: no example for the codes {', '.join(missing)} (CODE_EXAMPLES)")
    with _quiet_plugins():
        engine = Engine.default(entry_points=False)
        out = ["# devrecs reference", "",
               "<!-- Generated by scripts/make_reference.py from the code; do not edit by hand.",
               "     tests/test_reference.py fails when this page is stale. -->", "",
               "The vocabulary, plugin hooks, protocols, facts, audiences, built-in ids and every code,",
               "read from devrecs itself. Guides: rules.md (writing rules), authoring.md (validate,",
               "lint, test, diff), plugins.md and tutorial-plugin.md (plugins), facts.md, data.md.", ""]
        section_vocabulary(out)
        section_hooks(out)
        section_protocols(out)
        section_facts(out)
        section_audiences(out, engine)
        section_ids(out, engine)
        section_codes(out)
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render_reference()
    if "--check" in argv:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run python scripts/make_reference.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
