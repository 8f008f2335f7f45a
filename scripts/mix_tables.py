#!/usr/bin/env python3
"""The intervention mix of the default packs, measured on the IBM data and the sample.

Usage (from the repository root)::

    python scripts/mix_tables.py            # rewrite README.md's IBM table and docs/mix.md
    python scripts/mix_tables.py --check    # exit 1 when either is stale (tests/test_mix_tables.py)

Everything is measured as a clean install runs it: the built-in packs and
catalog, no plugin (``Engine.default(entry_points=False)``), the shipped
IBM mapping, the cap of 5, a fixed ``as_of``. Each table sits in its file
between ``<!-- mix:NAME -->`` and ``<!-- /mix:NAME -->``.

"Every stated reason true of the person's data" is checked strictly: a
recommendation's reason is the rules behind it, and each of them must hold
when a fact the data does not hold is unknown (a condition on it is
neither true nor false, ``not`` of unknown stays unknown, an ``any``
holds when one branch is true, ``exists``/``missing`` know the answer, a
history test is known only as far back as the record declares its history
complete), and, stricter than the engine, an empty list of gaps or
interests is unknown too: nobody declared those complete. A rule that fired
only because a missing fact read as false, or an empty history as "nothing
under way", fails the check.
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import devrecs
from devrecs.facts import fact_value
from devrecs.intake.mapping import load_mapping
from devrecs.intake.peoplefile import sample_file
from devrecs.model import Person
from devrecs.people import person_from_dict
from devrecs.rulefile.conditions import All, Always, AnyOf, Compare, Contains, Items, Not, leaf_truth

ROOT = Path(__file__).resolve().parents[1]
IBM = ROOT / "examples" / "ibm-hr-attrition"
AS_OF = dt.date(2026, 6, 30)
LIMIT = 0.35           # no individual intervention to more than this share of people

# Measured on 7cf748f (before issue 16's packs) with no plugin, the same way; kept as the baseline.
BEFORE_IBM = {
    "learning-time": 1158, "compensation-review": 492, "mentor-others": 466, "career-conversation": 464,
    "coaching": 187, "project-lead-role": 152, "new-technology-learning": 123, "mentoring": 123,
    "cross-discipline-team-time": 100, "special-advisor-track": 75, "new-manager-training": 43,
    "speaking-opportunity": 20, "role-refit-conversation": 9,
}
BEFORE_IBM_TOTALS = (3412, 1433)     # items, people with at least one
# (people with at least one item, those whose every stated reason is true): 7cf748f's packs, engine and data,
# checked the same way (its records declared no history complete)
BEFORE_REASONS = {"IBM HR Attrition": (1433, 201), "sample organization": (192, 171)}


def engine() -> devrecs.Engine:
    return devrecs.Engine.default(entry_points=False, as_of=AS_OF)


def ibm_people() -> list[Person]:
    mapping = load_mapping(str(IBM / "mapping.yaml"))
    with open(IBM / "ibm-hr-attrition.csv", encoding="utf-8-sig", newline="") as f:
        return [person_from_dict(mapping.apply(f"row {n}", row), record=f"row {n}")
                for n, row in enumerate(csv.DictReader(f), 2)]


def sample_people() -> list[Person]:
    return list(sample_file().people())


# -- strict (three-valued) truth of a rule on a person's data -----------------------

UNKNOWN = None


def strict(node: Any, get: Callable[[str], Any]) -> Optional[bool]:
    """True, False or None (unknown), with missing facts and empty lists unknown."""
    if isinstance(node, Always):
        return True
    if isinstance(node, Not):
        inner = strict(node.item, get)
        return None if inner is None else not inner
    if isinstance(node, (All, AnyOf)):
        values = [strict(n, get) for n in node.items]
        if isinstance(node, All):
            return False if False in values else (None if None in values else True)
        return True if True in values else (None if None in values else False)
    if isinstance(node, (Contains, Items)) and node.path != "history" and not get(node.path):
        return UNKNOWN       # an empty list of gaps or interests: nobody said it is complete
    if isinstance(node, (Compare, Contains, Items)):
        # the engine's own three-valued truth: a missing fact is unknown, exists/missing are
        # known, and a history test is known only as far back as the history is complete
        return leaf_truth(node, get)
    raise TypeError(f"unknown condition node {node!r}")


def reasons_true(eng: devrecs.Engine, people: Iterable[Person]) -> tuple[int, int, collections.Counter]:
    """(people with at least one item, those whose every stated reason is strictly true,
    the rules whose reason was not true, counted)."""
    rules = {r.id: r for r in eng.rules}
    with_items = all_true = 0
    false_rules: collections.Counter = collections.Counter()
    for person, recs in eng.recommend_many(list(people)):
        own = [r for r in recs if r.subject == person.id]
        if not own:
            continue
        with_items += 1
        values: dict[str, Any] = {}

        def get(path: str, person: Person = person) -> Any:
            if path not in values:
                values[path] = fact_value(person, path, AS_OF)
            return values[path]

        bad = [rid for r in own for rid in r.rules if strict(rules[rid].when, get) is not True]
        false_rules.update(bad)
        all_true += not bad
    return with_items, all_true, false_rules


# -- tables ---------------------------------------------------------------------------

def counts(eng: devrecs.Engine, people: list[Person]) -> tuple[collections.Counter, int, int]:
    per: collections.Counter = collections.Counter()
    items = anyone = 0
    for person, recs in eng.recommend_many(people):
        own = {r.intervention for r in recs if r.subject == person.id}
        per.update(own)
        items += len(own)
        anyone += bool(own)
    return per, items, anyone


def _share(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%"


def readme_table(per: collections.Counter, items: int, anyone: int, total: int) -> str:
    lines = [f"{items:,} items for {total:,} people; {anyone:,} get at least one, {total - anyone:,} get none.",
             "", "| intervention | people | share |", "|---|---:|---:|"]
    lines += [f"| {i} | {n:,} | {_share(n, total)} |" for i, n in sorted(per.items(), key=lambda x: (-x[1], x[0]))]
    return "\n".join(lines)


def before_after_table(per: collections.Counter, items: int, anyone: int, total: int) -> str:
    lines = ["| intervention | before (7cf748f) | after | after share |", "|---|---:|---:|---:|"]
    names = sorted(set(per) | set(BEFORE_IBM), key=lambda i: (-per.get(i, 0), -BEFORE_IBM.get(i, 0), i))
    lines += [f"| {i} | {BEFORE_IBM.get(i, 0):,} | {per.get(i, 0):,} | {_share(per.get(i, 0), total)} |"
              for i in names]
    lines.append(f"| **items** | {BEFORE_IBM_TOTALS[0]:,} | {items:,} | |")
    lines.append(f"| **people with at least one** | {BEFORE_IBM_TOTALS[1]:,} | {anyone:,} | |")
    return "\n".join(lines)


def truth_table(rows: list[tuple[str, int, int, collections.Counter]]) -> str:
    lines = ["| people | packs | with at least one item | every stated reason true | share |",
             "|---|---|---:|---:|---:|"]
    for name, with_items, all_true, _ in rows:
        if name in BEFORE_REASONS:
            w, t = BEFORE_REASONS[name]
            lines.append(f"| {name} | before (7cf748f) | {w:,} | {t:,} | {_share(t, w)} |")
        share = _share(all_true, with_items) if with_items else "n/a"
        lines.append(f"| {name} | after | {with_items:,} | {all_true:,} | {share} |")
    notes = [f"{name}: {', '.join(f'{r} ({n})' for r, n in bad.most_common())}"
             for name, _, _, bad in rows if bad]
    if notes:
        lines += ["", "Rules whose reason was not established by the data: " + "; ".join(notes) + "."]
    return "\n".join(lines)


def blocks() -> dict[str, str]:
    """The generated text of each marked block, by name."""
    eng = engine()
    ibm, sample = ibm_people(), sample_people()
    per, items, anyone = counts(eng, ibm)
    sper, sitems, sanyone = counts(eng, sample)
    truth = [("IBM HR Attrition", *reasons_true(eng, ibm)), ("sample organization", *reasons_true(eng, sample))]
    return {
        "ibm": readme_table(per, items, anyone, len(ibm)),
        "ibm-before-after": before_after_table(per, items, anyone, len(ibm)),
        "sample": readme_table(sper, sitems, sanyone, len(sample)),
        "reasons": truth_table(truth),
    }


FILES = {"ibm": [ROOT / "README.md", ROOT / "docs" / "mix.md"], "ibm-before-after": [ROOT / "docs" / "mix.md"],
         "sample": [ROOT / "docs" / "mix.md"], "reasons": [ROOT / "docs" / "mix.md"]}


def _block(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- mix:{re.escape(name)} -->\n)(.*?)(<!-- /mix:{re.escape(name)} -->)", re.S)


def updated(text: str, name: str, content: str) -> str:
    pattern = _block(name)
    if not pattern.search(text):
        raise SystemExit(f"no '<!-- mix:{name} -->' block to fill")
    return pattern.sub(lambda m: m.group(1) + content + "\n" + m.group(3), text)


def stale(generated: dict[str, str]) -> list[str]:
    """'file: block' for each marked block whose text differs from what is generated."""
    out = []
    for name, paths in FILES.items():
        for path in paths:
            text = path.read_text(encoding="utf-8")
            if updated(text, name, generated[name]) != text:
                out.append(f"{path.relative_to(ROOT)}: {name}")
    return out


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a table is stale")
    args = parser.parse_args(argv)
    generated = blocks()
    if args.check:
        behind = stale(generated)
        for line in behind:
            print(f"stale: {line} (run python scripts/mix_tables.py)", file=sys.stderr)
        return 1 if behind else 0
    for name, paths in FILES.items():
        for path in paths:
            text = path.read_text(encoding="utf-8")
            path.write_text(updated(text, name, generated[name]), encoding="utf-8")
    print("\n\n".join(f"{k}:\n{v}" for k, v in generated.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
