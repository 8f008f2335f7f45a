"""The organization report: one self-contained HTML file with charts.

    html = build_report(engine, people, audience="hr", store=store, open_positions=2)

Everything is inline: CSS in a <style>, charts as inline SVG drawn here, no
script and no address of any other resource, so the file opens offline and
can be mailed or archived as it is.

Sections (from ``Engine.recommend_organization`` and, for outcome rates, the
store): individual-contributor development coverage against the 22%
reference of seed 001, the 9-box by track, pipeline graduates' waiting time
against open seats, managers with flight-risk hotspots, the intervention mix,
acceptance and completion rates per intervention and per rule, and what the
rules propose for the organization.

Audiences: ``hr`` sees everything HR may see, with names and ids where they
help act (managers with hotspots, graduates waiting longest). ``executive``
sees aggregates only: no names or person ids, no intervention or fact an
executive may not see (domain.md: wellbeing, performance plans), and every
count under ``SMALL_CELL`` shown as "<5" (a rate is shown only when both its
count and its base are at least ``SMALL_CELL``; where one hidden cell could be
worked out from a total, a second cell is hidden too).

EXTENSION POINT: ``build_report(..., extra_sections=[...])`` takes functions
``(ReportContext) -> Section | None``; their sections are added before the
notes, in order, for the audiences each Section names. The fairness audit is
meant to go there.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Sequence

import attrs

from ..audience import hidden_facts, masked
from ..explain import PROPOSALS_NOTE, touches_hidden
from ..model import NINE_BOX, Person, Track
from ..org import HOTSPOT_REPORTS, is_developing, is_waiting_graduate

if TYPE_CHECKING:  # the application layer's Engine, for types only
    from ..app import Engine

SMALL_CELL = 5
BENCHMARK = 0.22          # seed 001: 22% of 700+ organizations had formal development programmes for ICs
REPORT_AUDIENCES = ("hr", "executive")
WAIT_BUCKETS = ((0, 5, "0-5"), (6, 11, "6-11"), (12, 17, "12-17"), (18, 23, "18-23"), (24, None, "24+"))
LONG_WAIT_MONTHS = 18
MAX_BARS = 18

KIND_COLORS = {   # Okabe-Ito based, distinguishable for most colour-vision deficiencies
    "career": "#0072B2", "expertise": "#009E73", "learning": "#56B4E9", "skills": "#E69F00",
    "relationship": "#CC79A7", "management": "#D55E00", "reward": "#B8A000", "pipeline": "#7B5EA7",
    "organization": "#475569",
}
C_GOOD, C_WARN, C_BAD, C_MUTED = "#0f766e", "#d97706", "#b91c1c", "#94a3b8"
C_COMPLETED, C_ACCEPTED, C_DECLINED = "#0f766e", "#5eead4", "#f87171"
# a white outline under value texts, so they stay legible where a reference line crosses them
HALO = 'stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"'


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


# -- small cells ---------------------------------------------------------------------------------


@attrs.frozen
class Cells:
    """Small-cell suppression: on for the executive audience."""

    on: bool
    threshold: int = SMALL_CELL

    def hidden(self, n: int) -> bool:
        return self.on and n < self.threshold

    def count(self, n: int) -> str:
        return f"<{self.threshold}" if self.hidden(n) else f"{n:,}"

    def withheld(self, n: int) -> str:
        """What may be said of a count ``group`` hid: "<5", or "\u22655" for the second cell."""
        return f"<{self.threshold}" if n < self.threshold else f"\u2265{self.threshold}"

    def share(self, part: int, whole: int) -> str:
        """'31% (12 of 39)', or what may be said of it."""
        if whole == 0:
            return "no one"
        if self.hidden(whole):
            return f"fewer than {self.threshold} people"
        if self.hidden(part):
            return f"under {self.threshold / whole:.0%} ({self.count(part)} of {whole:,})"
        return f"{part / whole:.0%} ({part:,} of {whole:,})"

    def group(self, counts: dict) -> set:
        """The keys to hide in a group whose total is shown: the small ones, and when exactly
        one is small (so the total would give it away), the next smallest too."""
        if not self.on:
            return set()
        hide = {k for k, n in counts.items() if n < self.threshold}
        if len(hide) == 1 and len(counts) > 1:
            rest = sorted((n, str(k), k) for k, n in counts.items() if k not in hide)
            hide.add(rest[0][2])
        return hide


# -- SVG charts --------------------------------------------------------------------------------


@attrs.frozen
class Bar:
    label: str
    value: float
    text: str
    color: str = C_GOOD
    hatched: bool = False       # a suppressed value: drawn as a hatched range, not a length
    tip: str = ""
    people: bool = True         # the value counts people (small-cell rules apply); False for e.g. seats


def _svg_open(chart_id: str, title: str, width: int, height: int) -> list[str]:
    return [f'<svg class="chart" id="{esc(chart_id)}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="{esc(chart_id)}-t" preserveAspectRatio="xMinYMin meet">',
            f'<title id="{esc(chart_id)}-t">{esc(title)}</title>',
            f'<defs><pattern id="{esc(chart_id)}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e2e8f0"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="#94a3b8" stroke-width="2.5"/></pattern></defs>']


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def hbar_chart(chart_id: str, title: str, bars: Sequence[Bar], max_value: float, *, width: int = 560,
               label_width: int = 190, share: bool = False, reference: Optional[tuple[float, str]] = None,
               row: int = 26, text_width: int = 130, text_column: bool = False) -> str:
    """Horizontal bars, one per row, with the value's text after each bar (or, with
    ``text_column``, in a column of its own on the right); ``reference`` draws a dashed line
    (value, label) across the rows; ``share`` labels the axis 0-100%."""
    x0 = label_width + 10
    span = width - x0 - text_width - 10
    top = 26 if reference else 6
    axis = 22
    height = top + max(1, len(bars)) * row + axis
    max_value = max_value or 1
    out = _svg_open(chart_id, title, width, height)
    ticks = [0, 0.25, 0.5, 0.75, 1.0] if share else _ticks(max_value)
    for t in ticks:
        x = x0 + span * t / max_value
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - axis + 2}" stroke="#e2e8f0"/>')
        label = f"{t:.0%}" if share else f"{t:g}"
        out.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="11" fill="#64748b" '
                   f'text-anchor="middle">{esc(label)}</text>')
    if reference is not None:   # under the bars and their text
        value, label = reference
        x = x0 + span * value / max_value
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - axis + 2}" stroke="#b91c1c" '
                   f'stroke-width="2" stroke-dasharray="5 4"/>')
        out.append(f'<text x="{x + 5:.1f}" y="{top - 10}" font-size="12" font-weight="600" '
                   f'fill="#b91c1c">{esc(label)}</text>')
    for i, b in enumerate(bars):
        y = top + i * row
        label_chars = max(12, int(label_width / 7.4))
        out.append(f'<g><title>{esc(b.tip or b.label)}: {esc(b.text)}</title>')
        out.append(f'<text x="{label_width}" y="{y + row / 2 + 4:.1f}" font-size="13" fill="#1e293b" '
                   f'text-anchor="end">{esc(_clip(b.label, label_chars))}</text>')
        w = max(0.0, min(1.0, b.value / max_value)) * span
        fill = f"url(#{esc(chart_id)}-hatch)" if b.hatched else b.color
        if w > 0:
            out.append(f'<rect x="{x0}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" rx="3" fill="{fill}"/>')
        tx = x0 + span + 10 if text_column else x0 + w + 6
        kind = "v" if b.people else "v-other"
        out.append(f'<text class="{kind}" x="{tx:.1f}" y="{y + row / 2 + 4:.1f}" font-size="12.5" fill="#334155" '
                   f'{HALO}>{esc(b.text)}</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def _ticks(max_value: float) -> list[float]:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if max_value / step <= 5:
            return [step * i for i in range(int(max_value // step) + 1)]
    return [0, max_value]


def stacked_chart(chart_id: str, title: str, rows: Sequence[tuple[str, Sequence[tuple[float, str, str]], str, bool]],
                  *, width: int = 1100, label_width: int = 300, row: int = 26) -> str:
    """Rows of 100%-stacked bars: (label, [(share, color, name)], text after the bar, flagged)."""
    x0 = label_width + 10
    span = width - x0 - 230
    top, axis = 6, 22
    height = top + max(1, len(rows)) * row + axis
    out = _svg_open(chart_id, title, width, height)
    for t in (0, 0.25, 0.5, 0.75, 1.0):
        x = x0 + span * t
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - axis + 2}" stroke="#e2e8f0"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="11" fill="#64748b" '
                   f'text-anchor="middle">{t:.0%}</text>')
    for i, (label, parts, text, flagged) in enumerate(rows):
        y = top + i * row
        out.append(f'<g><title>{esc(label)}: {esc(text)}</title>')
        weight = ' font-weight="600"' if flagged else ""
        ink = C_BAD if flagged else "#1e293b"
        out.append(f'<text x="{label_width}" y="{y + row / 2 + 4:.1f}" font-size="13" fill="{ink}" '
                   f'text-anchor="end"{weight}>{esc(_clip(label, int(label_width / 7.4)))}</text>')
        x = float(x0)
        if not parts:
            out.append(f'<rect x="{x0}" y="{y + 4}" width="{span}" height="{row - 8}" rx="3" '
                       f'fill="url(#{esc(chart_id)}-hatch)"/>')
        for share, color, name in parts:
            w = span * share
            if w > 0:
                out.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{color}">'
                           f'<title>{esc(name)}: {share:.0%}</title></rect>')
            x += w
        out.append(f'<text class="v" x="{x0 + span + 8}" y="{y + row / 2 + 4:.1f}" font-size="12.5" '
                   f'fill="#334155">{esc(text)}</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def ninebox_svg(chart_id: str, title: str, counts: dict, cells: Cells, hide: set) -> str:
    """A 3x3 grid: performance left to right (low to high), potential bottom to top; the
    cells in ``hide`` are drawn hatched, with what ``cells`` may say of them."""
    size_w, size_h, left, top = 112, 66, 82, 8
    width, height = left + 3 * size_w + 6, top + 3 * size_h + 40
    biggest = max([n for k, n in counts.items() if k not in hide] or [1]) or 1
    out = _svg_open(chart_id, title, width, height)
    levels = ("low", "medium", "high")
    for col, perf in enumerate(levels):
        for r, pot in enumerate(reversed(levels)):
            n = counts.get((perf, pot), 0)
            x, y = left + col * size_w, top + r * size_h
            name = NINE_BOX[(perf, pot)].replace("_", " ")
            if (perf, pot) in hide:
                fill, ink = f"url(#{esc(chart_id)}-hatch)", "#1e293b"
                text = cells.withheld(n)
            else:
                k = n / biggest
                fill, ink, text = _mix("#f1f5f9", "#0f766e", k), ("#ffffff" if k > 0.5 else "#1e293b"), f"{n:,}"
            out.append(f'<g><title>{esc(name)} (performance {perf}, potential {pot}): {esc(text)}</title>'
                       f'<rect x="{x + 2}" y="{y + 2}" width="{size_w - 4}" height="{size_h - 4}" rx="4" '
                       f'fill="{fill}"/>'
                       f'<text class="v" x="{x + size_w / 2}" y="{y + 31}" font-size="21" font-weight="700" '
                       f'fill="{ink}" '
                       f'text-anchor="middle">{esc(text)}</text>'
                       f'<text x="{x + size_w / 2}" y="{y + 50}" font-size="11.5" fill="{ink}" '
                       f'text-anchor="middle">{esc(name)}</text></g>')
    for i, level in enumerate(levels):
        out.append(f'<text x="{left + i * size_w + size_w / 2}" y="{top + 3 * size_h + 15}" font-size="11" '
                   f'fill="#64748b" text-anchor="middle">{level}</text>')
        out.append(f'<text x="{left - 6}" y="{top + (2 - i) * size_h + size_h / 2 + 4}" font-size="11" '
                   f'fill="#64748b" text-anchor="end">{level}</text>')
    out.append(f'<text x="{left + 1.5 * size_w}" y="{height - 4}" font-size="12" fill="#334155" '
               f'text-anchor="middle">performance \u2192</text>')
    out.append(f'<text x="13" y="{top + 1.5 * size_h}" font-size="12" fill="#334155" text-anchor="middle" '
               f'transform="rotate(-90 13 {top + 1.5 * size_h})">potential \u2192</text>')
    out.append("</svg>")
    return "\n".join(out)


def column_chart(chart_id: str, title: str, columns: Sequence[tuple[str, int, str, str, bool]],
                 *, width: int = 560, height: int = 210, axis_label: str = "") -> str:
    """Vertical bars: (label, value, text above, color, hatched)."""
    left, right, top, bottom = 40, 10, 22, 44
    plot_h = height - top - bottom
    biggest = max([v for _, v, _, _, h in columns if not h] + [SMALL_CELL if any(h for *_, h in columns) else 1, 1])
    step = (width - left - right) / max(1, len(columns))
    out = _svg_open(chart_id, title, width, height)
    for t in _ticks(biggest):
        y = top + plot_h - plot_h * t / biggest
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" fill="#64748b" '
                   f'text-anchor="end">{t:g}</text>')
    for i, (label, value, text, color, hatched) in enumerate(columns):
        h = plot_h * min(value, biggest) / biggest
        x = left + i * step + step * 0.18
        w = step * 0.64
        fill = f"url(#{esc(chart_id)}-hatch)" if hatched else color
        out.append(f'<g><title>{esc(label)}: {esc(text)}</title>')
        if h > 0:
            out.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{w:.1f}" height="{h:.1f}" rx="3" '
                       f'fill="{fill}"/>')
        out.append(f'<text class="v" x="{x + w / 2:.1f}" y="{top + plot_h - h - 5:.1f}" font-size="12.5" '
                   f'font-weight="600" '
                   f'fill="#334155" text-anchor="middle">{esc(text)}</text>')
        out.append(f'<text x="{x + w / 2:.1f}" y="{top + plot_h + 16}" font-size="12" fill="#334155" '
                   f'text-anchor="middle">{esc(label)}</text></g>')
    if axis_label:
        out.append(f'<text x="{(left + width - right) / 2}" y="{height - 6}" font-size="12" fill="#64748b" '
                   f'text-anchor="middle">{esc(axis_label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _mix(a: str, b: str, k: float) -> str:
    k = max(0.0, min(1.0, k))
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * k):02x}" for x, y in zip(ca, cb))


HATCH_CSS = "repeating-linear-gradient(45deg,#94a3b8 0 2px,#e2e8f0 2px 5px)"


def _hatch_key(ctx: ReportContext) -> list[tuple[str, str]]:
    return [("small count withheld", HATCH_CSS)] if ctx.executive else []


def legend(items: Iterable[tuple[str, str]]) -> str:
    return '<div class="legend">' + "".join(f'<span><i style="background:{c}"></i>{esc(n)}</span>'
                                            for n, c in items) + "</div>"


# -- sections ----------------------------------------------------------------------------------


@attrs.frozen
class Section:
    """A part of the report. ``body`` is HTML: escape every value with ``esc``.
    ``audiences``: who may see it (a section is left out of any other audience's report)."""

    id: str
    title: str
    body: str
    lede: str = ""
    wide: bool = False
    audiences: tuple[str, ...] = REPORT_AUDIENCES


@attrs.frozen
class ReportContext:
    """What a section is built from (also what an extra section receives)."""

    engine: Engine
    people: tuple[Person, ...]
    result: Any                 # engine.OrganizationResult
    audience: str
    cells: Cells
    as_of: dt.date
    rates: Any = None           # store.Rates, or None without a store
    store_label: str = ""
    open_positions: int = 0
    title: str = ""
    contests: Optional[dict] = None   # rule id -> {items, facts} contested (store.contests_per_rule), for HR

    @property
    def executive(self) -> bool:
        return self.audience == "executive"

    def visible(self, intervention: str) -> bool:
        catalog = self.engine.catalog
        return intervention in catalog and catalog.visible_to(intervention, self.audience)

    def intervention_title(self, intervention: str) -> str:
        catalog = self.engine.catalog
        return catalog.get(intervention).title if intervention in catalog else intervention

    def person_label(self, person_id: str) -> str:
        """How HR sees a person: name and id (never called for the executive audience)."""
        assert not self.executive, "the executive report names nobody"
        p = self._by_id().get(person_id)
        return f"{p.name} ({person_id})" if p is not None and p.name else person_id

    def _by_id(self) -> dict:
        return {p.id: p for p in self.people}


def _kpis(ctx: ReportContext) -> str:
    f = ctx.result.organization_facts
    c = ctx.cells
    # only what the audience may see is counted: a total over hidden items less the visible
    # ones would give the hidden count away
    proposals = sum(1 for _, recs in ctx.result.people for r in recs if ctx.visible(r.intervention))
    ics = f["ics"]
    developing = sum(1 for p in ctx.people
                     if p.track == Track.INDIVIDUAL_CONTRIBUTOR and is_developing(p, ctx.as_of) is True)
    known = f["share_ic_developing"] is not None     # None: some IC's history is not complete
    tiles = [
        (c.count(f["headcount"]), "people"),
        (c.count(ics), "individual contributors"),
        (f"{developing / ics:.0%}" if known and ics and not c.hidden(developing) and not c.hidden(ics)
         else "\u2013",
         "of ICs developing (22% reference)"),
        (f"{c.count(f['graduates_waiting'])} / {ctx.open_positions}", "graduates waiting / open seats"),
        (_hotspots_text(ctx), f"managers with {HOTSPOT_REPORTS}+ high-flight-risk reports"),
        (c.count(proposals), "proposals to review"),
    ]
    return '<div class="kpis">' + "".join(f'<div class="kpi"><div class="v">{esc(v)}</div>'
                                          f'<div class="l">{esc(label)}</div></div>' for v, label in tiles) + "</div>"


def coverage_section(ctx: ReportContext) -> Section:
    c = ctx.cells
    groups: dict[str, list[int]] = {}
    total = [0, 0]
    for p in ctx.people:
        if p.track != Track.INDIVIDUAL_CONTRIBUTOR:
            continue
        dev = int(is_developing(p, ctx.as_of) is True)    # an incomplete history counts as not known to be
        total[0] += dev
        total[1] += 1
        dept = p.extra.get("department") if isinstance(p.extra.get("department"), str) else None
        if dept:
            g = groups.setdefault(dept, [0, 0])
            g[0] += dev
            g[1] += 1
    rows = [("Whole organization", total)] + sorted(groups.items(), key=lambda kv: (-kv[1][1], kv[0]))
    # departments add up to the whole: where one hidden count could be worked out, hide another
    hide_n = c.group({d: n for d, (_, n) in groups.items()})
    hide_dev = c.group({d: dev for d, (dev, n) in groups.items() if d not in hide_n})
    bars = []
    for label, (dev, n) in rows:
        if n == 0:
            bars.append(Bar(label, 0, "no individual contributors", C_MUTED))
        elif c.hidden(n) or label in hide_n:
            bars.append(Bar(label, 0, f"{c.withheld(n)} ICs", C_MUTED))
        elif c.hidden(dev):
            bars.append(Bar(label, SMALL_CELL / n, c.share(dev, n), C_WARN, hatched=True))
        elif label in hide_dev:
            bars.append(Bar(label, SMALL_CELL / n, f"withheld ({c.withheld(dev)} of {n:,})", C_WARN, hatched=True))
        else:
            share = dev / n
            bars.append(Bar(label, share, c.share(dev, n), C_GOOD if share >= BENCHMARK else C_WARN))
    chart = hbar_chart("chart-coverage", "Share of individual contributors with development in the last 12 months, "
                       "against the 22% reference", bars, 1.0, share=True, reference=(BENCHMARK, "22% reference"),
                       label_width=150, text_width=150, text_column=True)
    share = total[0] / total[1] if total[1] else None
    if share is None:
        reading = "There are no individual contributors in these people."
    elif c.hidden(total[0]) or c.hidden(total[1]):
        reading = (f"{c.share(total[0], total[1])} of individual contributors had a development intervention "
                   f"accepted or completed in the last 12 months.")
    else:
        side = "above" if share >= BENCHMARK else "below"
        reading = (f"{share:.0%} of individual contributors had a development intervention accepted or completed "
                   f"in the last 12 months: {side} the 22% line.")
    body = (chart + legend([("at or above 22%", C_GOOD), ("below 22%", C_WARN)] + _hatch_key(ctx)) +
            f'<p class="reading">{esc(reading)}</p>'
            '<p class="small">The 22% line is a reference, not a target: an AMA Enterprise survey of more than 700 '
            'organizations found that only 22% had formal development programmes for individual contributors '
            '(seed 001). Here an IC counts as developing when their history shows an intervention accepted or '
            'completed in the last 12 months.</p>')
    return Section("coverage", "Individual-contributor development coverage", body,
                   lede="Who among the people who do not manage is being developed, by department.")


def ninebox_section(ctx: ReportContext) -> Section:
    c = ctx.cells
    grids = []
    unrated = 0
    deep = "0"
    for track, name in ((Track.INDIVIDUAL_CONTRIBUTOR, "Individual contributors"), (Track.MANAGER, "Managers")):
        counts: Counter = Counter()
        members = [p for p in ctx.people if p.track == track]
        for p in members:
            if p.performance is None or p.potential is None:
                unrated += 1
            else:
                counts[(p.performance.value, p.potential.value)] += 1
        full = {(a, b): counts.get((a, b), 0) for a in ("low", "medium", "high") for b in ("low", "medium", "high")}
        hide = c.group(full)
        svg = ninebox_svg(f"chart-ninebox-{track.value}", f"9-box of {name.lower()}", full, c, hide)
        if track == Track.INDIVIDUAL_CONTRIBUTOR:
            n = full[("high", "low")]
            deep = c.withheld(n) if ("high", "low") in hide else f"{n:,}"
        grids.append(f'<figure><figcaption>{esc(name)} ({esc(c.count(len(members)))})</figcaption>{svg}</figure>')
    note = (f"<p class=\"small\">{esc(c.count(unrated))} people without both ratings are not shown.</p>"
            if unrated else "")
    reading = (f"Deep professionals (high performance, low potential) among ICs: {deep}; the default "
               f"rules give them expert leadership training and a technical path, not the management pipeline.")
    return Section("ninebox", "The 9-box by track", '<div class="pair">' + "".join(grids) + "</div>" + note +
                   f'<p class="reading">{esc(reading)}</p>', wide=True,
                   lede="Performance against potential, for each track; darker cells hold more people.")


def pipeline_section(ctx: ReportContext) -> Section:
    c = ctx.cells
    waiting = [p for p in ctx.people if is_waiting_graduate(p)]
    months = [(p.pipeline.months_waiting or 0) for p in waiting]
    buckets = {}
    for lo, hi, label in WAIT_BUCKETS:
        buckets[label] = sum(1 for m in months if m >= lo and (hi is None or m <= hi))
    hide = c.group(buckets)
    columns = []
    for lo, _, label in WAIT_BUCKETS:
        n = buckets[label]
        color = C_BAD if lo >= LONG_WAIT_MONTHS else C_WARN if lo >= 12 else C_GOOD
        columns.append((label, SMALL_CELL if label in hide else n, c.withheld(n) if label in hide else f"{n:,}",
                        color, label in hide))
    hist = column_chart("chart-pipeline-wait", "Pipeline graduates waiting for a leadership seat, by months waiting",
                        columns, axis_label="months waiting since graduating")
    seats = ctx.open_positions
    n = len(waiting)
    bars = [Bar("Graduates waiting", n, c.count(n), C_WARN, hatched=c.hidden(n) and n > 0),
            Bar("Open leadership seats", seats, f"{seats:,}", C_GOOD, people=False)]
    compare = hbar_chart("chart-pipeline-seats", "Graduates waiting against open leadership seats", bars,
                         max(n, seats, 1), label_width=170)
    long_wait = sum(1 for m in months if m >= LONG_WAIT_MONTHS)
    if not n:
        reading = "No pipeline graduate is waiting for a seat."
    else:
        short = max(0, n - seats)
        reading = (f"{c.count(n)} graduates wait for a seat ({c.count(long_wait)} for {LONG_WAIT_MONTHS} months "
                   f"or more) and {seats} seats are open: "
                   + (f"{c.count(short)} would still wait if every seat went to a graduate." if short else
                      "there is a seat for each of them."))
    body = hist + compare + f'<p class="reading">{esc(reading)}</p>'
    if not ctx.executive and waiting:
        top = sorted(waiting, key=lambda p: -(p.pipeline.months_waiting or 0))[:8]
        moves = ("leadership-placement", "external-move-support")
        proposed = {p.id: ", ".join(r.intervention for r in rs if r.intervention in moves) or "-"
                    for p, rs in ctx.result.people}
        body += ('<table><thead><tr><th>waiting longest</th><th class="n">months</th><th>proposed</th></tr>'
                 '</thead><tbody>' + "".join(
                     f'<tr><td>{esc(ctx.person_label(p.id))}</td><td class="n">{p.pipeline.months_waiting or 0}</td>'
                     f'<td>{esc(proposed.get(p.id, "-"))}</td></tr>' for p in top) + "</tbody></table>")
    body += ('<p class="small">Open seats come from <code>--open-positions</code> (people data cannot tell them). '
             'Seed 003: a pipeline that graduates people into no seat jams; place them, make seats, or help '
             'them move on.</p>')
    return Section("pipeline", "Pipeline graduates: waiting time against open seats", body,
                   lede="How long graduates of the leadership pipeline have waited for a leadership seat.")


def _hotspot_groups(ctx: ReportContext) -> tuple[dict, set]:
    """Managers by how many reports are at high flight risk, and the groups small-cell rules hide."""
    dist = {"none": 0, "1": 0, "2": 0, f"{HOTSPOT_REPORTS}+": 0}
    for facts in ctx.result.team_facts.values():
        k = facts["high_flight_risk_reports"]
        dist["none" if k == 0 else f"{HOTSPOT_REPORTS}+" if k >= HOTSPOT_REPORTS else str(k)] += 1
    return dist, ctx.cells.group(dist)


def _hotspots_text(ctx: ReportContext) -> str:
    """The number of hotspot managers as every part of the page says it (tile and section alike)."""
    hot = ctx.result.organization_facts["flight_risk_hotspots"]
    if ctx.executive and f"{HOTSPOT_REPORTS}+" in _hotspot_groups(ctx)[1]:
        return ctx.cells.withheld(hot)
    return ctx.cells.count(hot)


def hotspots_section(ctx: ReportContext) -> Section:
    c = ctx.cells
    teams = ctx.result.team_facts
    hot_text = _hotspots_text(ctx)
    if ctx.executive:
        dist, hide = _hotspot_groups(ctx)
        bars = [Bar(f"{label} at high risk" if label != "none" else "no report at high risk",
                    SMALL_CELL if label in hide else n, c.withheld(n) if label in hide else f"{n:,} managers",
                    C_BAD if label.endswith("+") else C_WARN if label != "none" else C_GOOD, hatched=label in hide)
                for label, n in dist.items()]
        chart = hbar_chart("chart-hotspots", "Managers by number of direct reports at high flight risk", bars,
                           max([b.value for b in bars] + [1]), label_width=170)
        lede = "Managers grouped by how many of their direct reports are at high flight risk (no names)."
    else:
        rows = sorted(((facts["high_flight_risk_reports"], facts["reports"], m) for m, facts in teams.items()
                       if facts["high_flight_risk_reports"] > 0), key=lambda t: (-t[0], -t[1], t[2]))
        shown = rows[:12]
        bars = [Bar(ctx.person_label(m), k, f"{k} of {n} reports", C_BAD if k >= HOTSPOT_REPORTS else C_WARN)
                for k, n, m in shown]
        chart = hbar_chart("chart-hotspots", "Managers with direct reports at high flight risk", bars,
                           max([k for k, _, _ in shown] + [HOTSPOT_REPORTS + 1]), label_width=190,
                           reference=(HOTSPOT_REPORTS, f"hotspot: {HOTSPOT_REPORTS}+"))
        if len(rows) > len(shown):
            more = len(rows) - len(shown)
            chart += f'<p class="small">and {more} more manager{"s" if more > 1 else ""} with one or two.</p>'
        lede = "Managers with at least one direct report at high flight risk, most first."
    trained = sum(1 for recs in ctx.result.teams.values()
                  if any(r.intervention == "coaching-conversations-training" for r in recs))
    reading = (f"{hot_text} managers have {HOTSPOT_REPORTS} or more direct reports at high flight risk; the rules "
               f"propose coaching-conversations training to {c.count(trained)} managers.")
    return Section("hotspots", "Managers with flight-risk hotspots",
                   chart + legend([(f"{HOTSPOT_REPORTS}+ at high risk (hotspot)", C_BAD), ("fewer", C_WARN)]
                                  + ([("none", C_GOOD)] if ctx.executive else []) + _hatch_key(ctx)) +
                   f'<p class="reading">{esc(reading)}</p>', lede=lede)


def mix_section(ctx: ReportContext) -> Section:
    c = ctx.cells
    counts: Counter = Counter()
    for _, recs in ctx.result.people:
        counts.update(r.intervention for r in recs)
    for recs in ctx.result.teams.values():
        counts.update(r.intervention for r in recs)
    visible = [(i, n) for i, n in counts.most_common() if ctx.visible(i)]
    shown = visible[:MAX_BARS]
    # the total is shown: where it would give one small count away, a second one is hidden
    hide = c.group(dict(visible))
    kinds = {}
    bars = []
    for i, n in shown:
        kind = ctx.engine.catalog.get(i).kind if i in ctx.engine.catalog else "other"
        color = KIND_COLORS.get(kind, C_MUTED)
        kinds[kind] = color
        hidden = i in hide
        bars.append(Bar(ctx.intervention_title(i), SMALL_CELL if hidden else n,
                        c.withheld(n) if hidden else c.count(n), color, hatched=hidden, tip=i))
    chart = hbar_chart("chart-mix", "Proposals per intervention", bars, max([b.value for b in bars] + [1]),
                       width=1100, label_width=330)
    more = (f'<p class="small">and {len(visible) - len(shown)} more interventions with fewer proposals.</p>'
            if len(visible) > len(shown) else "")
    total = sum(n for _, n in visible)
    reading = (f"{c.count(total)} proposals to people and their managers across {len(visible)} interventions; "
               f"the most frequent is {ctx.intervention_title(visible[0][0]).lower()}." if visible else
               "The rules propose nothing for these people.")
    note = ("" if not ctx.executive else
            '<p class="small">Only interventions an executive may see are counted here.</p>')
    return Section("mix", "The intervention mix", chart + legend(sorted(kinds.items()) + _hatch_key(ctx)) + more +
                   f'<p class="reading">{esc(reading)}</p>' + note, wide=True,
                   lede="How many proposals the rules make of each intervention, coloured by kind.")


@attrs.frozen
class _RateRow:
    key: str
    tally: Any
    acceptance: str          # as shown: "62%", or "\u2013" when it would reveal a small count
    completion: str
    flagged: bool            # most decided proposals declined (SMALL_CELL or more decided)


def _rate_rows(ctx: ReportContext, tallies: dict, label: Callable[[str], str]) -> tuple[list, list]:
    """Chart rows and table rows, lowest acceptance first. A rate reveals the counts it is made
    of, so the executive view shows one only when each of those counts is SMALL_CELL or more
    (accepted or completed, and declined; for completion, completed and accepted)."""
    c = ctx.cells
    rows, table = [], []
    ordered = sorted(tallies.items(), key=lambda kv: (kv[1].acceptance if kv[1].acceptance is not None else 2,
                                                      -kv[1].decided, kv[0]))
    dash = "\u2013"
    for key, t in ordered:
        if not t.decided:
            continue
        taken = t.accepted + t.completed
        show_rate = not (c.hidden(taken) or c.hidden(t.declined)) or (not c.on)
        show_completion = not (c.hidden(t.completed) or c.hidden(t.accepted)) or (not c.on)
        flagged = show_rate and t.decided >= SMALL_CELL and t.acceptance < 0.5
        if c.hidden(t.decided):
            parts, text = [], f"{c.count(t.decided)} decided"
        elif not show_rate:
            # only the small part(s): the other follows from the total, so it is not given either
            small = [f"{c.count(n)} {name}" for n, name in ((taken, "accepted"), (t.declined, "declined"))
                     if c.hidden(n)]
            parts, text = [], f"{', '.join(small)} of {t.decided:,} decided"
        elif c.on:   # executive: accepted or completed, and declined
            parts = [(taken / t.decided, C_ACCEPTED, "accepted or completed"),
                     (t.declined / t.decided, C_DECLINED, "declined")]
            text = f"{t.acceptance:.0%} accepted of {t.decided:,} decided"
        else:
            parts = [(t.completed / t.decided, C_COMPLETED, "completed"),
                     (t.accepted / t.decided, C_ACCEPTED, "accepted"),
                     (t.declined / t.decided, C_DECLINED, "declined")]
            text = f"{t.acceptance:.0%} accepted of {t.decided:,} decided"
        rows.append((label(key), parts, text, flagged))
        table.append(_RateRow(key, t, f"{t.acceptance:.0%}" if show_rate and not c.hidden(t.decided) else dash,
                              f"{t.completion:.0%}" if show_completion and t.completion is not None else dash,
                              flagged))
    return rows, table


def acceptance_section(ctx: ReportContext) -> Section:
    c = ctx.cells
    lede = ("What people did with the proposals: accepted, completed or declined, per intervention and per rule. "
            "A rule whose proposals are mostly declined deserves a look.")
    if ctx.rates is None or not ctx.rates.outcomes:
        why = ("no store was given (<code>--store URL</code>)" if ctx.rates is None
               else f"the store {esc(ctx.store_label)} holds no outcome yet")
        body = (f'<p class="empty">No outcomes recorded: {why}. Record them with <code>devrecs record PERSON '
                f'INTERVENTION --outcome accepted|declined|completed --by ID</code>.</p>')
        body += stacked_chart("chart-acceptance", "Acceptance per intervention: no outcomes recorded",
                              [("no outcomes recorded", [], "", False)])
        return Section("acceptance", "Acceptance and completion", body, lede=lede, wide=True)
    interventions = {i: t for i, t in ctx.rates.interventions.items() if ctx.visible(i)}
    rows, table = _rate_rows(ctx, interventions, ctx.intervention_title)
    chart = stacked_chart("chart-acceptance", "Acceptance per intervention", rows[:MAX_BARS] or
                          [("no decided proposal among these interventions", [], "", False)])
    if ctx.executive:
        allowed = allowed_rules(ctx.engine, ctx.audience)
        rule_tallies = {k: t for k, t in ctx.rates.rules.items() if k in allowed}
    else:
        rule_tallies = dict(ctx.rates.rules)
    titles = {r.id: r.title for r in ctx.engine.rules}
    rule_rows, rule_table = _rate_rows(ctx, rule_tallies, lambda k: f"{k}")
    rule_chart = stacked_chart("chart-rule-acceptance", "Acceptance per rule, lowest first", rule_rows[:MAX_BARS] or
                               [("no decided proposal attributed to a rule", [], "", False)])
    flagged = [r.key for r in rule_table if r.flagged]
    reading = (f"{c.count(ctx.rates.outcomes)} outcomes recorded"
               + (f" between {ctx.rates.first:%Y-%m-%d} and {ctx.rates.last:%Y-%m-%d}" if ctx.rates.first else "")
               + ". " + (f"Rules with most proposals declined (5 or more decided): {', '.join(flagged)}." if flagged
                         else "No rule has most of its decided proposals declined."))

    def rule_row(r: _RateRow) -> str:
        cls = ' class="flag"' if r.flagged else ""
        return (f'<tr{cls}><td><code>{esc(r.key)}</code></td><td>{esc(titles.get(r.key, "(not in these rules)"))}</td>'
                f'<td class="n">{esc(c.count(r.tally.proposed))}</td><td class="n">{esc(c.count(r.tally.decided))}</td>'
                f'<td class="n">{esc(r.acceptance)}</td><td class="n">{esc(r.completion)}</td></tr>')

    rule_rows_html = "".join(rule_row(r) for r in rule_table)
    keys = ([("accepted or completed", C_ACCEPTED), ("declined", C_DECLINED)] if ctx.executive else
            [("completed", C_COMPLETED), ("accepted", C_ACCEPTED), ("declined", C_DECLINED)])
    body = (f'<h3>Per intervention</h3>{chart}'
            + legend(keys + _hatch_key(ctx)) +
            f'<h3>Per rule</h3>{rule_chart}'
            f'<table><thead><tr><th>rule</th><th>title</th><th class="n">proposed</th><th class="n">decided</th>'
            f'<th class="n">acceptance</th><th class="n">completion</th></tr></thead><tbody>{rule_rows_html}'
            f'</tbody></table><p class="reading">{esc(reading)}</p>'
            '<p class="small">Each person and intervention counts once, by its latest outcome. Acceptance: accepted '
            'or completed, over all decided. Completion: completed, over accepted or completed. An outcome counts '
            'for the rules of the latest proposal it answers.</p>')
    return Section("acceptance", "Acceptance and completion", body, lede=lede, wide=True)


def contests_section(ctx: ReportContext) -> Optional[Section]:
    """HR only: per rule, the released items people contested and the facts behind them they
    contested (a fact contested on its own counts under no rule)."""
    if ctx.audience != "hr":
        return None
    lede = ("What people contested: released items, and facts behind them, per rule that proposed the item. A rule "
            "whose items are often contested, or whose facts are, deserves a look at the rule or at the data.")
    if not ctx.contests:
        why = ("no store was given (<code>--store URL</code>)" if ctx.contests is None
               else f"the store {esc(ctx.store_label)} holds no contest")
        return Section("contests", "Contests per rule", f'<p class="empty">No contests: {why}. A person contests '
                       f'with <code>devrecs review contest PERSON --proposal ID --fact FACT --reason TEXT --by ID'
                       f'</code>.</p>', lede=lede, audiences=("hr",))
    titles = {r.id: r.title for r in ctx.engine.rules}
    order = sorted(ctx.contests.items(), key=lambda kv: (-(kv[1]["items"] + kv[1]["facts"]), kv[0] == "", kv[0]))
    rows = "".join(
        f'<tr><td>{f"<code>{esc(rule)}</code>" if rule else "(no rule: a fact alone)"}</td>'
        f'<td>{esc(titles.get(rule, "") if rule else "")}</td>'
        f'<td class="n">{n["items"]}</td><td class="n">{n["facts"]}</td></tr>' for rule, n in order)
    body = (f'<table><thead><tr><th>rule</th><th>title</th><th class="n">items contested</th>'
            f'<th class="n">facts contested</th></tr></thead><tbody>{rows}</tbody></table>'
            '<p class="small">An item counts once for each rule that proposed it; a fact contested together with an '
            'item counts for that item\'s rules. Corrected facts still count: this is what was contested.</p>')
    return Section("contests", "Contests per rule", body, lede=lede, audiences=("hr",))


def organization_section(ctx: ReportContext) -> Section:
    recs = [r for r in ctx.result.organization if ctx.visible(r.intervention)]
    if not recs:
        items = "<p>The organization rules propose nothing for now.</p>"
    else:
        items = "<ol class=\"orgrecs\">" + "".join(
            f'<li><strong>{esc(ctx.intervention_title(r.intervention))}</strong> <code>{esc(r.intervention)}</code>'
            f'<br><span>{esc(" ".join(r.rationale))}</span></li>' for r in recs) + "</ol>"
    return Section("organization", "What the rules propose for the organization", items,
                   lede="Proposals about the organization itself, from its facts (coverage, pipeline, leaders).")


# EXTENSION POINT ------------------------------------------------------------------------------
# Extra sections (the fairness audit, an organization's own views) come in as functions
# ``(ReportContext) -> Section | None`` through ``build_report(extra_sections=...)``;
# ``extra_sections_for`` runs them and keeps what the report's audience may see.


def extra_sections_for(ctx: ReportContext, makers: Sequence[Callable[[ReportContext], Optional[Section]]],
                       ) -> list[Section]:
    out = []
    for make in makers:
        section = make(ctx)
        if section is not None and ctx.audience in section.audiences:
            out.append(section)
    return out


BUILT_IN_SECTIONS = (coverage_section, hotspots_section, ninebox_section, pipeline_section, organization_section,
                     mix_section, acceptance_section, contests_section)


# -- the page ------------------------------------------------------------------------------------

CSS = """
:root{--ink:#1e293b;--muted:#64748b;--line:#e2e8f0;--bg:#f1f5f9}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);background:var(--bg)}
header.top{background:#0f172a;color:#f8fafc;padding:26px 0 22px}
header.top .in,main,footer{max-width:1200px;margin:0 auto;padding-left:32px;padding-right:32px}
header.top h1{margin:0 0 4px;font-size:26px;font-weight:650;letter-spacing:-.01em}
header.top .meta{color:#cbd5e1;font-size:14px}
header.top code{background:rgba(255,255,255,.12);color:#e2e8f0}
header.top .aud{display:inline-block;background:#f59e0b;color:#1e293b;font-weight:700;border-radius:4px;
padding:1px 8px;margin-left:6px;font-size:13px;text-transform:uppercase;letter-spacing:.04em}
main{padding-top:20px;padding-bottom:24px}
.note{background:#fffbeb;border:1px solid #fcd34d;border-left:5px solid #d97706;padding:10px 16px;
border-radius:6px;margin:0 0 18px;font-size:14px}
.kpis{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin-bottom:18px}
.kpi{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.kpi .v{font-size:26px;font-weight:700;line-height:1.2}
.kpi .l{color:var(--muted);font-size:12.5px;line-height:1.3}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:18px}
section.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 20px;min-width:0}
section.wide{grid-column:1/-1}
h2{font-size:18px;margin:0 0 2px}
h3{font-size:14px;margin:14px 0 6px;color:#334155}
.lede{color:var(--muted);margin:0 0 10px;font-size:13.5px}
svg.chart{width:100%;height:auto;display:block;margin:4px 0}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:10px}
figure{margin:0}
figure svg.chart{max-width:440px;margin:4px auto}
figcaption{font-weight:600;font-size:13.5px;color:#334155;text-align:center}
table{border-collapse:collapse;width:100%;font-size:13px;margin-top:8px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.flag td{color:#b91c1c;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12.5px;color:var(--muted);margin:2px 0 6px}
.legend i{display:inline-block;width:11px;height:11px;margin-right:5px;border-radius:2px;vertical-align:-1px}
.reading{margin:8px 0 4px;font-size:14px}
.small{color:var(--muted);font-size:12.5px;margin:6px 0 0}
.empty{background:#f8fafc;border:1px dashed #cbd5e1;border-radius:6px;padding:10px 14px;color:#475569}
ol.orgrecs{margin:4px 0 0;padding-left:22px}
ol.orgrecs li{margin:0 0 8px}
ol.orgrecs span{color:#475569;font-size:13.5px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;background:#f1f5f9;
padding:0 3px;border-radius:3px;white-space:nowrap}
footer{color:var(--muted);font-size:12.5px;padding-bottom:40px}
footer p{margin:4px 0}
@media (max-width:900px){.grid,.pair{grid-template-columns:1fr}.kpis{grid-template-columns:repeat(3,1fr)}}
@media print{body{background:#fff}section.card{break-inside:avoid}header.top{background:#fff;color:#000}}
"""


def build_report(engine: Engine, people: Iterable[Any], *, audience: str = "hr", store: Any = None,
                 open_positions: int = 0, as_of: Optional[dt.date] = None, title: str = "",
                 extra_sections: Sequence[Callable[[ReportContext], Optional[Section]]] = ()) -> str:
    """The report as one HTML document (a str). ``people``: Persons or mappings (merge the
    store's history first with ``store.with_history`` for coverage to count recorded outcomes);
    ``store``: a Store, for acceptance and completion rates (None: none recorded)."""
    from ..errors import DevrecsError
    if audience not in REPORT_AUDIENCES:
        raise DevrecsError(f"the report is written for {' or '.join(REPORT_AUDIENCES)}, not '{audience}'")
    day = as_of or engine.as_of or dt.date.today()
    persons = tuple(engine.prepare(p) for p in people)
    if audience != "hr":
        # everything on the page comes from the audience's view: hidden facts unknown and history
        # without interventions it may not see (audience.masked), store rows it may see
        persons = tuple(masked(p, audience, engine.catalog) for p in persons)
    result = engine.recommend_organization(persons, day, open_leadership_positions=open_positions)
    rates = None
    if store is not None:
        rates = store.rates() if audience == "hr" else store.rates(keep=store_rows_for(engine, audience))
    contests = store.contests_per_rule() if store is not None and audience == "hr" else None
    ctx = ReportContext(engine, persons, result, audience, Cells(audience == "executive"), day,
                        rates, getattr(store, "label", ""), open_positions, title or "Development report", contests)
    sections = [s for s in (make(ctx) for make in BUILT_IN_SECTIONS) if s is not None]
    sections += extra_sections_for(ctx, extra_sections)
    return render_page(ctx, sections)


def allowed_rules(engine: Engine, audience: str) -> set[str]:
    """Rules whose proposals this audience may see counted: they test no fact hidden from it
    and recommend only interventions it may see."""
    hidden = hidden_facts(audience)
    catalog = engine.catalog
    return {r.id for r in engine.rules
            if not touches_hidden(r, hidden)
            and all(t.intervention in catalog and catalog.visible_to(t.intervention, audience) for t in r.recommend)}


def store_rows_for(engine: Engine, audience: str) -> Callable[[str, tuple[str, ...]], bool]:
    """Which store rows (intervention, rules) count for this audience: a visible intervention,
    from allowed rules only (an outcome that answers no proposal counts by its intervention)."""
    allowed = allowed_rules(engine, audience)
    catalog = engine.catalog

    def keep(intervention: str, rules: tuple[str, ...]) -> bool:
        return (intervention in catalog and catalog.visible_to(intervention, audience)
                and all(r in allowed for r in rules))

    return keep


def render_page(ctx: ReportContext, sections: Sequence[Section]) -> str:
    from .. import __version__
    who = {"hr": "HR", "executive": "Executive"}[ctx.audience]
    cards = "\n".join(
        f'<section class="card{" wide" if s.wide else ""}" id="{esc(s.id)}" data-section="{esc(s.id)}">'
        f'<h2>{esc(s.title)}</h2>' + (f'<p class="lede">{esc(s.lede)}</p>' if s.lede else "") + s.body + "</section>"
        for s in sections)
    audience_note = (
        "Executive view: aggregates only. No names or person ids; facts and interventions executives may not "
        f"see are left out; counts under {SMALL_CELL} are shown as &lt;{SMALL_CELL} (and a second count where a "
        "total would reveal one)." if ctx.executive else
        "HR view: names appear where they help to act. Do not pass this page to managers or executives; "
        "make the executive view for them (--audience executive).")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(ctx.title)} \u2013 {esc(who)} view, {ctx.as_of.isoformat()}</title>
<style>{CSS}</style>
</head>
<body>
<header class="top"><div class="in">
<h1>{esc(ctx.title)}<span class="aud">{esc(who)} view</span></h1>
<div class="meta">As of {ctx.as_of.isoformat()} \u00b7 {esc(ctx.cells.count(len(ctx.people)))} people \u00b7 rule set
<code>{esc(ctx.engine.ruleset_hash)}</code> \u00b7 devrecs {esc(__version__)}</div>
</div></header>
<main>
<p class="note"><strong>These are proposals, not decisions.</strong> {esc(PROPOSALS_NOTE)} Each one is for a
person to review with the employee, who may decline it; record what happens with <code>devrecs record</code> so
rules that miss show up below. {audience_note}</p>
{_kpis(ctx)}
<div class="grid">
{cards}
</div>
</main>
<footer>
<p>Made by devrecs {esc(__version__)} on {dt.date.today().isoformat()} from {esc(ctx.cells.count(len(ctx.people)))}
people, as of {ctx.as_of.isoformat()}, with rule set <code>{esc(ctx.engine.ruleset_hash)}</code>.
Outcomes: {esc(ctx.store_label or "no store")}.</p>
<p>Definitions: developing = an intervention accepted or completed in the last 12 months; graduate waiting =
pipeline graduate not yet in a management role; flight-risk hotspot = a manager with {HOTSPOT_REPORTS} or more
direct reports at high flight risk.</p>
<p>This file is self-contained: it loads nothing from anywhere else.</p>
</footer>
</body>
</html>
"""


__all__ = ["BUILT_IN_SECTIONS", "Cells", "ReportContext", "Section", "build_report", "extra_sections_for",
           "render_page"]
