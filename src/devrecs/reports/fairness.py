"""Fairness audit: who gets development, by group (docs/fairness.md).

Protected attributes (gender, age, ethnicity, ...) come in under ``extra``
and are used only here: rules may not test them (rulefile.parse refuses,
code E140). For each intervention the audit gives each group's share of
people who get it, the ratio of that share to the highest group's (the
"four-fifths rule": a ratio under 0.8 is flagged when both groups are large
enough) and Fisher's exact test p-value (scipy, the ``audit`` extra). Groups
under SMALL_GROUP people are shown as "<5" and never flagged. Opportunities
and remedial help are listed apart: a higher rate of remedial help is not
an advantage. Support interventions (a wellbeing referral) are health data
and are never audited by group.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence

import attrs

from ..facts import PROTECTED_ATTRIBUTES, normal_key
from ..model import Person
from ..rulefile.conditions import leaf_holds, leaves

if TYPE_CHECKING:  # the application layer's Engine, for types only
    from ..app import Engine

SMALL_GROUP = 5            # groups under this size are shown as "<5" and never flagged
DEFAULT_MIN_GROUP = 30     # both groups need this many people before a ratio is flagged
FOUR_FIFTHS = 0.8
# Age bands (years): under 30, 30-39, 40-49, 50 and over.
AGE_BANDS = ((0, 29, "under 30"), (30, 39, "30-39"), (40, 49, "40-49"), (50, 200, "50+"))
UNKNOWN = "unknown"


def age_band(value: Any) -> str:
    try:
        age = float(value)
    except (TypeError, ValueError):
        return UNKNOWN
    for lo, hi, name in AGE_BANDS:
        if lo <= age < hi + 1:
            return name
    return UNKNOWN


def _group_order(attribute: str):
    bands = [name for _, _, name in AGE_BANDS]
    if normal_key(attribute) == "age":
        return lambda g: (bands.index(g) if g in bands else len(bands), g)
    return lambda g: (g == UNKNOWN, g)


def group_of(person: Person, attribute: str) -> str:
    """The person's group for ``attribute`` (an ``extra`` key, matched loosely: 'MaritalStatus'
    is 'marital_status'); age is banded."""
    wanted = normal_key(attribute)
    for key, value in person.extra.items():
        if normal_key(key) == wanted:
            if wanted == "age":
                return age_band(value)
            return UNKNOWN if value in (None, "") else str(value)
    return UNKNOWN


@attrs.frozen
class GroupRate:
    group: str
    people: int
    got: int
    small: bool

    @property
    def share(self) -> float:
        return self.got / self.people if self.people else 0.0

    def to_dict(self) -> dict:
        if self.small:
            return {"group": self.group, "people": "<5", "got": "<5", "share": None}
        return {"group": self.group, "people": self.people, "got": self.got, "share": round(self.share, 4)}


@attrs.frozen
class Comparison:
    """One group against the group with the highest share."""

    group: str
    reference: str
    ratio: Optional[float]
    p_value: Optional[float]
    flagged: bool
    drivers: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"group": self.group, "reference": self.reference,
                "ratio": None if self.ratio is None else round(self.ratio, 3),
                "p_value": None if self.p_value is None else float(f"{self.p_value:.4g}"),
                "flagged": self.flagged, "drivers": list(self.drivers)}


@attrs.frozen
class InterventionAudit:
    intervention: str
    purpose: str
    rates: tuple[GroupRate, ...]
    comparisons: tuple[Comparison, ...]

    @property
    def flagged(self) -> bool:
        return any(c.flagged for c in self.comparisons)

    def to_dict(self) -> dict:
        return {"intervention": self.intervention, "purpose": self.purpose, "flagged": self.flagged,
                "groups": [r.to_dict() for r in self.rates],
                "comparisons": [c.to_dict() for c in self.comparisons]}


@attrs.frozen
class AttributeAudit:
    attribute: str
    groups: tuple[GroupRate, ...]          # head counts (got = people)
    interventions: tuple[InterventionAudit, ...]

    def to_dict(self) -> dict:
        return {"attribute": self.attribute,
                "groups": [{"group": g.group, "people": "<5" if g.small else g.people} for g in self.groups],
                "interventions": [i.to_dict() for i in self.interventions]}


@attrs.frozen
class Audit:
    people: int
    attributes: tuple[AttributeAudit, ...]
    min_group: int
    p_values: bool          # False when scipy is not installed
    rejected: int = 0
    warnings: tuple[str, ...] = ()   # W140: rules on facts whose values look protected (validate.value_warnings)

    def to_dict(self) -> dict:
        return {"people": self.people, "rejected": self.rejected, "min_group": self.min_group,
                "four_fifths": FOUR_FIFTHS, "small_group": SMALL_GROUP, "p_values": self.p_values,
                "warnings": list(self.warnings),
                "attributes": [a.to_dict() for a in self.attributes]}


def _fisher() -> Any:
    try:
        from scipy.stats import fisher_exact
    except ImportError:
        return None
    return fisher_exact


def audit(engine: Engine, people: Iterable[Person], by: Sequence[str], min_group: int = DEFAULT_MIN_GROUP,
          rejected: int = 0, audience: str = "hr") -> Audit:
    """Audit what ``engine`` recommends to ``people`` by each attribute of ``by``.

    ``audience``: whose view is audited. For any but hr the people are first masked for it
    (audience.masked: hidden facts unknown, history without interventions it may not see),
    only interventions it may see are audited, and drivers name only facts it may see."""
    from ..audience import check_audience, masked
    check_audience(audience)
    if audience != "hr":
        people = (masked(engine.prepare(p), audience, engine.catalog) for p in people)
    persons: list[Person] = []
    got: list[set[str]] = []
    for person, recs in engine.recommend_many(people):
        persons.append(person)
        got.append({r.intervention for r in recs if r.subject == person.id})
    fisher = _fisher()
    audited = [i for i in engine.catalog if i.subject == "person" and i.purpose in ("opportunity", "remedial")
               and (audience == "hr" or audience in i.audiences)]
    out = []
    for attribute in by:
        groups = [group_of(p, attribute) for p in persons]
        sizes = Counter(groups)
        results = []
        for intervention in audited:
            counts = Counter(g for g, have in zip(groups, got) if intervention.id in have)
            rates = tuple(GroupRate(g, sizes[g], counts[g], sizes[g] < SMALL_GROUP)
                          for g in sorted(sizes, key=_group_order(attribute)))
            results.append(_compare(engine, intervention, rates, persons, groups, min_group, fisher, audience))
        results.sort(key=lambda a: (a.purpose != "opportunity", a.intervention))
        head = tuple(GroupRate(g, sizes[g], sizes[g], sizes[g] < SMALL_GROUP)
                     for g in sorted(sizes, key=_group_order(attribute)))
        out.append(AttributeAudit(attribute, head, tuple(results)))
    from ..authoring.validate import value_warnings
    return Audit(len(persons), tuple(out), min_group, fisher is not None, rejected,
                 tuple(value_warnings(engine.rules, persons, attributes=by)))


def _compare(engine: Engine, intervention: Any, rates: tuple[GroupRate, ...], persons: list[Person],
             groups: list[str], min_group: int, fisher: Any, audience: str = "hr") -> InterventionAudit:
    eligible = [r for r in rates if not r.small and r.group != UNKNOWN]
    comparisons = []
    if eligible and any(r.got for r in eligible):
        ref = max(eligible, key=lambda r: (r.share, r.people))
        for r in eligible:
            if r is ref:
                continue
            ratio = r.share / ref.share if ref.share else None
            p_value = None
            if fisher is not None:
                p_value = float(fisher([[r.got, r.people - r.got], [ref.got, ref.people - ref.got]])[1])
            flagged = (ratio is not None and ratio < FOUR_FIFTHS and r.people >= min_group
                       and ref.people >= min_group)
            drivers = (_drivers(engine, intervention.id, r.group, ref.group, persons, groups, audience=audience)
                       if flagged else ())
            comparisons.append(Comparison(r.group, ref.group, ratio, p_value, flagged, drivers))
    return InterventionAudit(intervention.id, intervention.purpose, rates, tuple(comparisons))


def _drivers(engine: Engine, intervention: str, group: str, reference: str, persons: list[Person],
             groups: list[str], top: int = 3, audience: str = "hr") -> tuple[str, ...]:
    """Which rules' conditions pass less often for ``group`` than for ``reference``.

    For any audience but hr, a condition on a fact hidden from it is never named, and shares
    are given only when the counts they are made of are SMALL_GROUP or more (else the text
    says only that the condition holds less often)."""
    from ..audience import hidden_facts
    from ..facts import fact_value
    hidden = hidden_facts(audience) if audience != "hr" else frozenset()
    day = engine.day()
    members = {g: [p for p, pg in zip(persons, groups) if pg == g] for g in (group, reference)}
    found = []
    for rule in engine.rules:
        if rule.scope != "person" or not any(t.intervention == intervention for t in rule.recommend):
            continue
        for leaf in dict.fromkeys(leaves(rule.when)):
            if leaf.path in hidden or (leaf.path == "nine_box" and hidden & {"performance", "potential"}):
                continue
            rate, passed = {}, {}
            for g, people in members.items():
                passed[g] = sum(leaf_holds(leaf, lambda path, p=p: fact_value(p, path, day)) for p in people)
                rate[g] = passed[g] / len(people) if people else 0.0
            gap = rate[reference] - rate[group]
            if gap > 0:
                small = audience != "hr" and any(
                    n < SMALL_GROUP or len(members[g]) - n < SMALL_GROUP for g, n in passed.items())
                how = (f"holds less often for {group} than for {reference} (counts under {SMALL_GROUP} withheld)"
                       if small else
                       f"holds for {rate[group]:.0%} of {group} against {rate[reference]:.0%} of {reference}")
                found.append((gap, f"rule '{rule.id}', condition '{leaf.describe()}': {how}"))
    found.sort(key=lambda f: -f[0])
    return tuple(text for _, text in found[:top])


def report_section(by: Sequence[str], min_group: int = DEFAULT_MIN_GROUP):
    """A maker of the report's fairness section (report.build_report(extra_sections=[...])):
    for hr and executive alike, aggregates only.

    It audits the report's own people (for the executive report, already masked) for the
    report's audience, and shows counts by the report's small-cell rule (``ctx.cells``): for
    executives a count under 5 is "<5", a second count is hidden where a total would give one
    away (group sizes add up to the head count; a group's count of an intervention adds up,
    over the groups, to the count the intervention mix shows), and a ratio or p-value is
    shown only when none of the counts it is made of is hidden."""

    def make(ctx: Any) -> Any:
        from .organization import C_BAD, Bar, Section, esc, hbar_chart
        cells = ctx.cells
        result = audit(ctx.engine, ctx.people, by, min_group=min_group, audience=ctx.audience)
        parts = []
        for a in result.attributes:
            sizes = {g.group: g.people for g in a.groups}
            hide_size = _hidden_cells(cells, sizes, {g.group for g in a.groups if g.small})
            rows = [i for i in a.interventions if ctx.visible(i.intervention) and any(r.got for r in i.rates)]
            shown: dict[str, dict[str, str]] = {}
            hidden_in: dict[str, set[str]] = {}
            for i in rows:
                got = {r.group: r.got for r in i.rates}
                hide = _hidden_cells(cells, got, hide_size | {r.group for r in i.rates if r.small})
                hidden_in[i.intervention] = hide
                shown[i.intervention] = {r.group: _cell(r, r.group in hide, r.group in hide_size, cells)
                                         for r in i.rates}
            bars = []
            for i in rows:     # the chart shows the flagged interventions; the table shows all
                hide = hidden_in[i.intervention]
                low = min((c for c in i.comparisons if c.flagged and not {c.group, c.reference} & hide),
                          key=lambda c: c.ratio, default=None)
                if low is None:
                    continue
                p = "" if low.p_value is None else f", p={low.p_value:.2g}"
                text = f"{low.ratio:.2f} ({low.group} vs {low.reference}{p})"
                bars.append(Bar(ctx.intervention_title(i.intervention), min(low.ratio, 1.0), text, C_BAD,
                                people=False))
            bars.sort(key=lambda b: b.value)
            groups = ", ".join(f"{esc(g.group)} {esc(_size_text(g, g.group in hide_size, cells))}" for g in a.groups)
            table = ["<table><thead><tr><th>intervention</th>"
                     + "".join(f"<th>{esc(g.group)}</th>" for g in a.groups) + "</tr></thead><tbody>"]
            for i in rows:
                cells_html = "".join(f"<td>{esc(shown[i.intervention][g.group])}</td>" for g in a.groups)
                flag = " <strong>flag</strong>" if i.flagged else ""
                table.append(f"<tr><td>{esc(ctx.intervention_title(i.intervention))}{flag}</td>{cells_html}</tr>")
            table.append("</tbody></table>")
            drivers = [f"<li>{esc(i.intervention)}, {esc(c.group)} vs {esc(c.reference)}: {esc(d)}</li>"
                       for i in rows for c in i.comparisons for d in c.drivers[:1]]
            parts.append(f"<h3>By {esc(a.attribute)}</h3><p>Groups: {groups}.</p>"
                         + (hbar_chart(f"fairness-{esc(a.attribute)}", f"Flagged: lowest share ratio by {a.attribute}",
                                       bars, 1.0, share=True, reference=(FOUR_FIFTHS, "four-fifths line"),
                                       label_width=230, text_width=230) if bars else
                            "<p>No intervention is flagged" + (" with counts that may be shown" if any(
                                i.flagged for i in rows) else "") + ".</p>")
                         + "".join(table)
                         + (f"<ul>{''.join(drivers)}</ul>" if drivers else ""))
        lede = (f"Share of each group that gets each intervention, and each group's share over the highest "
                f"group's: under {FOUR_FIFTHS:.0%} is flagged when both groups have {min_group}+ people. "
                + (f"Counts under {cells.threshold} are shown as <{cells.threshold} (and a second count where a "
                   f"total would reveal one). " if cells.on else f"Groups under {SMALL_GROUP} are shown as <5. ")
                + "Protected attributes are never used by rules.")
        return Section("fairness", "Fairness audit", "".join(parts), lede=lede, wide=True,
                       audiences=("hr", "executive"))

    return make


def _hidden_cells(cells: Any, counts: dict, forced: set) -> set:
    """The groups whose count is hidden: the ``forced`` ones and those ``cells`` hides (under the
    threshold), and, when exactly one is hidden, the next smallest too (the total gives one away)."""
    if not cells.on:
        return set(forced)
    hide = set(forced) | {g for g, n in counts.items() if n < cells.threshold}
    if len(hide) == 1 and len(counts) > 1:
        rest = sorted((n, str(g)) for g, n in counts.items() if g not in hide)
        hide.add(rest[0][1])
    return hide


def _size_text(group: GroupRate, hidden: bool, cells: Any) -> str:
    if group.small:
        return "<5"
    return cells.withheld(group.people) if hidden else f"{group.people}"


def _cell(rate: GroupRate, hidden: bool, size_hidden: bool, cells: Any) -> str:
    if not cells.on:
        return _pct(rate)
    if rate.small or size_hidden:
        return "<5" if rate.small else "withheld"
    if hidden:
        return f"{cells.withheld(rate.got)}/{rate.people}"
    return _pct(rate)


# -- rendering ----------------------------------------------------------------------


def _pct(rate: GroupRate) -> str:
    return "<5" if rate.small else f"{rate.share:.0%} ({rate.got}/{rate.people})"


def render_text(result: Audit) -> str:
    lines = [f"Fairness audit of {result.people} people"
             + (f" ({result.rejected} records rejected)" if result.rejected else "")
             + f". Flag: a group's share under {FOUR_FIFTHS:.0%} of the highest group's, both groups "
               f"at least {result.min_group} people. Groups under {SMALL_GROUP} are shown as <5."]
    if not result.p_values:
        lines.append("p-values need scipy: pip install 'devrecs[audit]'.")
    lines.extend(result.warnings)
    for a in result.attributes:
        lines += ["", f"By {a.attribute}: " + ", ".join(
            f"{g.group} {'<5' if g.small else g.people}" for g in a.groups)]
        for purpose, title in (("opportunity", "Opportunities"),
                               ("remedial", "Remedial help (a higher rate is not an advantage)")):
            rows = [i for i in a.interventions if i.purpose == purpose and any(r.got for r in i.rates)]
            if not rows:
                continue
            lines += ["", f"  {title}:"]
            for i in rows:
                mark = "  FLAG" if i.flagged else ""
                lines.append(f"    {i.intervention}{mark}: " + "; ".join(f"{r.group} {_pct(r)}" for r in i.rates))
                for c in i.comparisons:
                    if c.flagged or (c.ratio is not None and c.ratio < FOUR_FIFTHS):
                        p = "" if c.p_value is None else f", p={c.p_value:.3g}"
                        note = "" if c.flagged else " (not flagged: a group is too small)"
                        lines.append(f"      {c.group} vs {c.reference}: ratio {c.ratio:.2f}{p}{note}")
                        lines.extend(f"        driven by {d}" for d in c.drivers)
    lines += ["", "Protected attributes are used only by this audit; rules may not test them."]
    return "\n".join(lines)


def render_markdown(result: Audit) -> str:
    lines = [f"# Fairness audit ({result.people} people)", "",
             f"Flag: share under {FOUR_FIFTHS:.0%} of the highest group's, both groups at least "
             f"{result.min_group} people; groups under {SMALL_GROUP} shown as <5.", ""]
    for a in result.attributes:
        lines += [f"## By {a.attribute}", ""]
        groups = [g.group for g in a.groups]
        for purpose in ("opportunity", "remedial"):
            rows = [i for i in a.interventions if i.purpose == purpose and any(r.got for r in i.rates)]
            if not rows:
                continue
            lines += [f"### {'Opportunities' if purpose == 'opportunity' else 'Remedial help'}", "",
                      "| intervention | " + " | ".join(groups) + " | lowest ratio | p | flag |",
                      "|---|" + "---|" * (len(groups) + 3)]
            for i in rows:
                by = {r.group: r for r in i.rates}
                low = min((c for c in i.comparisons if c.ratio is not None), key=lambda c: c.ratio, default=None)
                lines.append(f"| {i.intervention} | " + " | ".join(_pct(by[g]) for g in groups)
                             + f" | {'' if low is None else f'{low.ratio:.2f} ({low.group})'}"
                             + f" | {'' if low is None or low.p_value is None else f'{low.p_value:.3g}'}"
                             + f" | {'**flag**' if i.flagged else ''} |")
            lines.append("")
            for i in rows:
                for c in i.comparisons:
                    for d in c.drivers:
                        lines.append(f"- {i.intervention}, {c.group} vs {c.reference}: {d}")
            lines.append("")
    return "\n".join(lines)


def protected_in(path: str) -> Optional[str]:
    """The protected attribute a fact path reads (``extra.Gender`` -> 'gender'), or None."""
    if not path.startswith("extra."):
        return None
    key = normal_key(path[len("extra."):])
    return key if key in PROTECTED_ATTRIBUTES else None


# -- a bias audit in the format of NYC Local Law 144 (6 RCNY 5-301; docs/fairness.md) -------------

SEX_NAMES = ("sex", "gender")
RACE_NAMES = ("raceethnicity", "race", "ethnicity", "ethnicgroup")
EXCLUDE_UNDER = 0.02        # a category under 2% of the people of known category: no impact ratio
ANY_DEVELOPMENT = "any development"
# answers that say nothing of the category: counted as unknown
UNKNOWN_ANSWERS = frozenset({"", "unknown", "notstated", "prefernottosay", "declined", "na", "none", "notknown"})
_SEXES = {"m": "Male", "male": "Male", "man": "Male", "f": "Female", "female": "Female", "woman": "Female"}


def _ll144_attribute(person: Person, names: Sequence[str]) -> tuple[Optional[str], Optional[str]]:
    """(the extra key read, the person's category or None when unknown) for the first of
    ``names`` the person's record holds."""
    for key, value in person.extra.items():
        if normal_key(key) in names:
            text = "" if value is None else " ".join(str(value).split())
            if normal_key(text) in UNKNOWN_ANSWERS:
                return key, None
            if names is SEX_NAMES:
                text = _SEXES.get(text.lower(), text)
            return key, text
    return None, None


@attrs.frozen
class LLRow:
    category: str
    people: int
    selected: int
    rate: Optional[float]        # None: withheld (fewer than SMALL_GROUP people)
    ratio: Optional[float]       # None: not computed (see note)
    note: str = ""               # "most selected", or why there is no impact ratio

    def to_dict(self) -> dict:
        small = self.people < SMALL_GROUP
        return {"category": self.category, "people": "<5" if small else self.people,
                "selected": "<5" if small else self.selected,
                "selection_rate": None if self.rate is None else round(self.rate, 4),
                "impact_ratio": None if self.ratio is None else round(self.ratio, 3), "note": self.note}


@attrs.frozen
class LLTable:
    """Selection rates and impact ratios of one selection (an intervention or any development)
    over the categories of one dimension."""

    selection: str
    rows: tuple[LLRow, ...]

    def to_dict(self) -> dict:
        return {"selection": self.selection, "rows": [r.to_dict() for r in self.rows]}


@attrs.frozen
class LLDimension:
    name: str                     # sex, race/ethnicity, sex x race/ethnicity
    source: str                   # the extra key(s) read, or "" when the data has none
    known: int
    unknown: int                  # shown, and left out of every rate and ratio
    excluded: tuple[tuple[str, int], ...]      # categories under EXCLUDE_UNDER of the known: (category, people)
    tables: tuple[LLTable, ...]   # any development first
    missing: str = ""             # why the dimension could not be audited, or ""

    def to_dict(self) -> dict:
        return {"dimension": self.name, "source": self.source, "known": self.known, "unknown": self.unknown,
                "excluded": [{"category": c, "people": "<5" if n < SMALL_GROUP else n} for c, n in self.excluded],
                "missing": self.missing, "tables": [t.to_dict() for t in self.tables]}


@attrs.frozen
class LL144Audit:
    people: int
    rejected: int
    as_of: str
    data_from: str
    data_until: str
    ruleset_hash: str
    selections: tuple[tuple[str, str], ...]    # (intervention or ANY_DEVELOPMENT, purpose)
    dimensions: tuple[LLDimension, ...]

    def to_dict(self) -> dict:
        return {"format": "ll144", "people": self.people, "rejected": self.rejected, "as_of": self.as_of,
                "data_from": self.data_from, "data_until": self.data_until, "ruleset_hash": self.ruleset_hash,
                "exclude_under": EXCLUDE_UNDER, "small_group": SMALL_GROUP,
                "selections": [{"selection": s, "purpose": p} for s, p in self.selections],
                "dimensions": [d.to_dict() for d in self.dimensions]}


def _ll144_table(selection: str, categories: list[Optional[str]], chosen: list[bool],
                 order: list[str], excluded: set[str]) -> LLTable:
    sizes = Counter(c for c in categories if c is not None)
    hits = Counter(c for c, yes in zip(categories, chosen) if c is not None and yes)
    rates = {c: hits[c] / sizes[c] for c in order}
    compared = [c for c in order if c not in excluded and sizes[c] >= SMALL_GROUP]
    best = max(compared, key=lambda c: (rates[c], sizes[c]), default=None)
    rows = []
    for c in order:
        small = sizes[c] < SMALL_GROUP
        rate = None if small else rates[c]
        if small:
            ratio, note = None, f"fewer than {SMALL_GROUP} people: counts and rate withheld"
        elif c in excluded:
            ratio, note = None, f"under {EXCLUDE_UNDER:.0%} of the people of known category: no impact ratio"
        elif best is None or rates[best] == 0:
            ratio, note = None, "nobody of a compared category was selected: no impact ratio"
        else:
            ratio = rates[c] / rates[best]
            note = "most selected" if c == best else ""
        rows.append(LLRow(c, sizes[c], hits[c], rate, ratio, note))
    return LLTable(selection, tuple(rows))


def audit_ll144(engine: Engine, people: Iterable[Person], *, rejected: int = 0,
                data_from: Optional[str] = None, data_until: Optional[str] = None) -> LL144Audit:
    """Selection rates and impact ratios by sex, race/ethnicity and their intersection, for "any
    development" (at least one development opportunity for the person themself) and for each
    opportunity and remedial intervention, in the shape of a Local Law 144 bias audit."""
    persons: list[Person] = []
    got: list[set[str]] = []
    for person, recs in engine.recommend_many(people):
        persons.append(person)
        got.append({r.intervention for r in recs if r.subject == person.id})
    audited = sorted((i for i in engine.catalog if i.subject == "person" and i.purpose in ("opportunity", "remedial")),
                     key=lambda i: (i.purpose != "opportunity", i.id))
    opportunities = {i.id for i in audited if i.purpose == "opportunity"}
    selections: list[tuple[str, list[bool]]] = [(ANY_DEVELOPMENT, [bool(g & opportunities) for g in got])]
    selections += [(i.id, [i.id in g for g in got]) for i in audited]
    sexes = [_ll144_attribute(p, SEX_NAMES) for p in persons]
    races = [_ll144_attribute(p, RACE_NAMES) for p in persons]

    def source(found: list[tuple[Optional[str], Optional[str]]]) -> str:
        return ", ".join(sorted({f"extra.{k}" for k, _ in found if k is not None}))

    both = [f"{s} / {r}" if s is not None and r is not None else None
            for (_, s), (_, r) in zip(sexes, races)]
    dims = []
    for name, categories, src in (("sex", [c for _, c in sexes], source(sexes)),
                                  ("race/ethnicity", [c for _, c in races], source(races)),
                                  ("sex x race/ethnicity", both,
                                   " and ".join(x for x in (source(sexes), source(races)) if x)
                                   if source(sexes) and source(races) else "")):
        known = sum(1 for c in categories if c is not None)
        unknown = len(categories) - known
        if not src:
            what = "sex" if name == "sex" else "race or ethnicity"
            missing = (f"the data holds no {what} for anyone (no extra fact named "
                       f"{' or '.join(SEX_NAMES if name == 'sex' else ('race', 'ethnicity', 'race_ethnicity'))})"
                       if name != "sex x race/ethnicity" else
                       "needs both sex and race/ethnicity, and the data lacks "
                       + ("both" if not source(sexes) and not source(races) else
                          "sex" if not source(sexes) else "race/ethnicity"))
            dims.append(LLDimension(name, "", 0, unknown, (), (), missing + ": every person is of unknown "
                                    "category here, so no selection rate or impact ratio can be given"))
            continue
        sizes = Counter(c for c in categories if c is not None)
        order = sorted(sizes, key=lambda c: (-sizes[c], c))
        excluded = {c for c in order if known and sizes[c] / known < EXCLUDE_UNDER}
        tables = tuple(_ll144_table(sel, categories, chosen, order, excluded) for sel, chosen in selections)
        dims.append(LLDimension(name, src, known, unknown,
                                tuple((c, sizes[c]) for c in order if c in excluded), tables,
                                "" if known else "nobody's category is known"))
    day = engine.day().isoformat()
    purposes = {i.id: i.purpose for i in audited}
    return LL144Audit(len(persons), rejected, day, data_from or day, data_until or day, engine.ruleset_hash,
                      tuple((sel, purposes.get(sel, "opportunity")) for sel, _ in selections), tuple(dims))


def _rate_text(row: LLRow) -> str:
    return "withheld" if row.rate is None else f"{row.rate:.1%}"


def _ratio_text(row: LLRow) -> str:
    return "—" if row.ratio is None else f"{row.ratio:.3f}"


def _ll144_notes(result: LL144Audit) -> list[str]:
    """The summary's opening notes, as plain sentences (Markdown and HTML show the same)."""
    period = (f"a snapshot as of {result.data_from}" if result.data_from == result.data_until
              else f"{result.data_from} to {result.data_until}")
    return [f"Data: {result.people} people ({period})"
            + (f"; {result.rejected} records could not be read and are not included" if result.rejected else ""),
            f"Recommendations as of {result.as_of}, rule set {result.ruleset_hash}",
            "Selected: the person is proposed the intervention for themself. \"Any development\" is at least "
            "one development opportunity; remedial help is shown per intervention and a higher rate of it "
            "is not an advantage.",
            "Selection rate: the selected people of a category over the people of that category. Impact "
            "ratio: a category's selection rate over the rate of the most selected category.",
            f"People of unknown category are counted here and left out of every rate and ratio. A category "
            f"under {EXCLUDE_UNDER:.0%} of the people of known category gets no impact ratio (reason shown) "
            f"and is not a candidate for most selected; categories under {SMALL_GROUP} people have their "
            f"counts and rate withheld."]


def _dimension_notes(d: Any) -> list[str]:
    """What a dimension's table is made from: its source, the unknown, the excluded categories."""
    if d.missing:
        return [f"Not audited: {d.missing}. People of unknown category: {d.unknown}."]
    return [f"From {d.source}. People of known category: {d.known}; of unknown category: {d.unknown} "
            f"(shown, excluded from the rates and ratios)."] + [
        f"Excluded from the impact ratios: {c} ({'<5' if n < SMALL_GROUP else n} people, "
        f"under {EXCLUDE_UNDER:.0%} of the people of known category)." for c, n in d.excluded]


def _row_cells(r: Any) -> list[str]:
    small = r.people < SMALL_GROUP
    return [r.category, "<5" if small else str(r.people), "<5" if small else str(r.selected), _rate_text(r),
            _ratio_text(r), r.note]


def _title(text: str) -> str:
    return text[0].upper() + text[1:]


def render_ll144(result: LL144Audit) -> str:
    """The audit as a summary that can be published (Markdown)."""
    lines = ["## Bias audit summary (NYC Local Law 144 format)", ""]
    lines += [f"- {note}" for note in _ll144_notes(result)] + [""]
    for d in result.dimensions:
        lines += [f"### {_title(d.name)}", ""]
        if d.missing:
            lines += _dimension_notes(d) + [""]
            continue
        lines += _dimension_notes(d) + [""]
        first = d.tables[0]
        lines += [f"**{_title(first.selection)}**", "",
                  "| category | people | selected | selection rate | impact ratio | note |",
                  "|---|---:|---:|---:|---:|---|"]
        lines += ["| " + " | ".join(_row_cells(r)) + " |" for r in first.rows]
        cats = [r.category for r in first.rows]
        lines += ["", "**Per intervention** (selection rate / impact ratio)", "",
                  "| intervention | purpose | " + " | ".join(cats) + " |",
                  "|---|---|" + "---:|" * len(cats)]
        purposes = dict(result.selections)
        for t in d.tables[1:]:
            if not any(r.selected for r in t.rows):
                continue
            lines.append(f"| {t.selection} | {purposes.get(t.selection, '')} | "
                         + " | ".join(f"{_rate_text(r)} / {_ratio_text(r)}" for r in t.rows) + " |")
        never = [t.selection for t in d.tables[1:] if not any(r.selected for r in t.rows)]
        if never:
            lines += ["", "Selected for nobody of known category: " + ", ".join(never) + "."]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_ll144_html(result: LL144Audit) -> str:
    """The same summary as one HTML section (``<section class="devrecs-ll144">``) to publish in a
    web page: no script, no style of its own (the page's applies), every value escaped."""
    from html import escape

    def esc(value: Any) -> str:
        return escape(str(value), quote=True)

    def table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: range) -> str:
        def cell(tag: str, i: int, value: str) -> str:
            kind = ' class="n"' if i in numeric else ""
            return f"<{tag}{kind}>{esc(value)}</{tag}>"
        cells = "".join(cell("th", i, h) for i, h in enumerate(head))
        body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows)
        return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"

    parts = ['<section class="devrecs-ll144">', "<h2>Bias audit summary (NYC Local Law 144 format)</h2>",
             "<ul>" + "".join(f"<li>{esc(note)}</li>" for note in _ll144_notes(result)) + "</ul>"]
    purposes = dict(result.selections)
    for d in result.dimensions:
        parts.append(f"<h3>{esc(_title(d.name))}</h3>")
        parts += [f"<p>{esc(note)}</p>" for note in _dimension_notes(d)]
        if d.missing:
            continue
        first = d.tables[0]
        parts.append(f"<h4>{esc(_title(first.selection))}</h4>")
        parts.append(table(["category", "people", "selected", "selection rate", "impact ratio", "note"],
                           [_row_cells(r) for r in first.rows], range(1, 5)))
        cats = [r.category for r in first.rows]
        shown = [t for t in d.tables[1:] if any(r.selected for r in t.rows)]
        parts.append("<h4>Per intervention (selection rate / impact ratio)</h4>")
        parts.append(table(["intervention", "purpose", *cats],
                           [[t.selection, purposes.get(t.selection, ""),
                             *(f"{_rate_text(r)} / {_ratio_text(r)}" for r in t.rows)] for t in shown],
                           range(2, 2 + len(cats))))
        never = [t.selection for t in d.tables[1:] if not any(r.selected for r in t.rows)]
        if never:
            parts.append(f"<p>Selected for nobody of known category: {esc(', '.join(never))}.</p>")
    parts.append("</section>")
    return "\n".join(parts) + "\n"


__all__ = ["AGE_BANDS", "ANY_DEVELOPMENT", "Audit", "LL144Audit", "audit", "audit_ll144", "age_band", "group_of",
           "protected_in", "render_ll144", "render_ll144_html", "render_markdown", "render_text"]
