"""The executive report is made only from what an executive may see (issue 17, item 7).

Twin organizations that differ only in one person's hidden facts (performance plan,
wellbeing, a hidden intervention in history), and twin stores that differ only in rows an
executive may not see, give byte-identical executive pages (the day the page was made is
normalised). The same small-cell rule holds in every section, KPI tiles and the fairness
audit included, and no driver names a hidden fact.
"""

import datetime as dt
import re

import attrs
import pytest

from devrecs import Engine
from devrecs.intake.peoplefile import sample_file
from devrecs.model import HistoryEntry, Outcome, PerformancePlan
from devrecs.oversight.store import Store, with_history
from devrecs.reports.fairness import report_section
from devrecs.reports.organization import build_report

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def org():
    source = sample_file()
    engine = Engine.default(as_of=source.as_of)
    people = [attrs.evolve(p, extra=dict(p.extra, gender="FM"[i % 2] if i % 7 else "X"))
              for i, p in enumerate(source.people())]
    return engine, people


def _page(engine, people, store=None, label="twin"):
    page = build_report(engine, people, audience="executive", store=store, as_of=AS_OF,
                        extra_sections=[report_section(["gender", "department", "location"], min_group=10)])
    page = page.replace(dt.date.today().isoformat(), "TODAY")
    if store is not None:
        page = page.replace(store.label, f"STORE-{label}")
    return page


def _one_changed(people, index, change):
    out = list(people)
    out[index] = change(out[index])
    return out


def _add_history(intervention, outcome=Outcome.ACCEPTED, days=60):
    def change(p):
        return attrs.evolve(p, history=tuple(p.history) + (
            HistoryEntry(intervention, AS_OF - dt.timedelta(days=days), outcome),))
    return change


HIDDEN_CHANGES = {
    "performance plan pip": lambda p: attrs.evolve(p, performance_plan=PerformancePlan.PIP),
    "performance plan informal": lambda p: attrs.evolve(p, performance_plan=PerformancePlan.INFORMAL),
    "performance plan unknown": lambda p: attrs.evolve(p, performance_plan=None),
    "wellbeing concern": lambda p: attrs.evolve(p, wellbeing_concern=not p.wellbeing_concern),
    "wellbeing referral in history": _add_history("wellbeing-referral"),
    "performance advisor in history": _add_history("performance-advisor", Outcome.COMPLETED),
    "declined wellbeing referral": _add_history("wellbeing-referral", Outcome.DECLINED, days=10),
}


@pytest.mark.parametrize("change", sorted(HIDDEN_CHANGES))
def test_twin_organizations_give_identical_executive_pages(org, change):
    engine, people = org
    base = _page(engine, people)
    for index in range(0, len(people), 47):      # several people, of several kinds
        twin = _page(engine, _one_changed(people, index, HIDDEN_CHANGES[change]))
        assert twin == base, f"person {people[index].id}: {change}"


def test_the_executive_page_does_not_change_when_everyone_is_on_a_plan(org):
    engine, people = org
    everyone = [attrs.evolve(p, performance_plan=PerformancePlan.PIP, wellbeing_concern=True) for p in people]
    assert _page(engine, everyone) == _page(engine, people)


def _stores(tmp_path, engine, people):
    """Two stores with the same visible rows; the twin also holds rows an executive may not see."""
    made = []
    for name in ("plain", "twin"):
        (tmp_path / name).mkdir()
        store = Store(str(tmp_path / name / "s.db"))
        visible_only = [(p, [r for r in recs if engine.catalog.visible_to(r.intervention, "executive")])
                        for p, recs in engine.recommend_many(people)]
        store.record_run(visible_only, engine.ruleset_hash, as_of=AS_OF)
        for p in people[:30]:
            store.record_outcome(p.id, "mentoring", ("accepted", "declined", "completed")[len(p.id) % 3], by="hr",
                                 when=dt.date(2026, 5, 1))
        if name == "twin":
            with store.start_run(engine.ruleset_hash, as_of=AS_OF) as run:
                for p in people[:12]:
                    run.add([{"intervention": "wellbeing-referral", "subject": p.id,
                              "rules": ["wellbeing-referral"], "priority": 100},
                             {"intervention": "performance-advisor", "subject": p.id,
                              "rules": ["struggling-performance-advisor"], "priority": 90}], p.id)
            for p in people[:12]:
                store.record_outcome(p.id, "wellbeing-referral", "accepted", by="hr", when=dt.date(2026, 5, 2))
                store.record_outcome(p.id, "performance-advisor", "declined", by="hr", when=dt.date(2026, 5, 3))
        made.append(store)
    return made


def test_twin_stores_give_identical_executive_pages(tmp_path, org):
    engine, people = org
    plain, twin = _stores(tmp_path, engine, people)
    pages = []
    for store, label in ((plain, "plain"), (twin, "twin")):
        merged = list(with_history(people, store))
        pages.append(_page(engine, merged, store, label).replace(f"STORE-{label}", "STORE"))
    assert pages[0] == pages[1]
    assert "outcomes recorded" in pages[0]


def _section(page, name):
    m = re.search(rf'<section class="card[^"]*" id="{name}".*?</section>', page, re.S)
    assert m, name
    return m.group(0)


def _kpi(page, label):
    m = re.search(r'<div class="kpi"><div class="v">([^<]*)</div><div class="l">' + re.escape(label), page)
    assert m, label
    return m.group(1)


def _hotspot_org():
    """Managers by reports at high flight risk: none 10, one 2, two 6, three 5. The section hides
    'one' (2) and so, as the total is shown, the next smallest group too: the five hotspots."""
    people = []
    for m, high in enumerate([0] * 10 + [1] * 2 + [2] * 6 + [3] * 5):
        mid = f"m{m}"
        people.append({"id": mid, "track": "manager", "level": 5, "performance": "medium"})
        for r in range(3):
            people.append({"id": f"{mid}-r{r}", "manager_id": mid, "track": "individual_contributor",
                           "level": 2, "flight_risk": "high" if r < high else "low"})
    return people


def test_the_hotspot_tile_says_what_the_hotspot_section_says():
    """A tile must not print a count the hotspot chart hides (complementary suppression)."""
    engine = Engine.default(as_of=AS_OF)
    page = _page(engine, _hotspot_org())
    section = _section(page, "hotspots")
    tile = _kpi(page, "managers with 3+ high-flight-risk reports")
    reading = re.search(r'<p class="reading">(.*?) managers have 3 or more', section).group(1)
    assert tile == reading == "\u22655"
    assert ">5 managers<" not in section


def test_proposals_to_review_counts_only_what_executives_may_see(org):
    engine, people = org
    page = _page(engine, people)
    visible = sum(1 for p in people for r in engine.recommend_for(p, "executive", AS_OF))
    assert _kpi(page, "proposals to review") == f"{visible:,}"


def test_no_count_under_5_anywhere_in_the_fairness_section(org):
    engine, people = org
    section = _section(_page(engine, people), "fairness")
    for got, _ in re.findall(r"\((\d+)/(\d+)\)", section):
        assert int(got) >= 5, section
    for got in re.findall(r"<td>(\d+)</td>", section):
        assert int(got) >= 5
    for n in re.findall(r"Groups: (.*?)\.</p>", section):
        assert all(int(x) >= 5 for x in re.findall(r"\b(\d+)\b", n))


def test_no_driver_names_a_fact_executives_may_not_see(org):
    engine, people = org
    # make the plan decide: everyone of one group on a plan, in the real data
    skewed = [attrs.evolve(p, performance_plan=PerformancePlan.PIP if p.extra.get("gender") == "F" else
                           PerformancePlan.NONE) for p in people]
    page = _page(engine, skewed)
    assert "performance_plan" not in page and "wellbeing" not in page.lower()
    assert "performance-advisor" not in page


def test_the_small_cell_rule_is_the_same_in_every_section(org):
    """Every people count the executive page shows as a number is 5 or more."""
    engine, people = org
    page = _page(engine, people[:60])
    for m in re.finditer(r'<text class="v"[^>]*>([^<]*)</text>', page):
        for n in re.findall(r"(?<![\d.%])(\d[\d,]*)(?![\d%])", m.group(1)):
            assert int(n.replace(",", "")) >= 5, m.group(0)
    for v in re.findall(r'<div class="v">([^<]*)</div>', page):
        for n in re.findall(r"(?<![\d.])(\d[\d,]*)(?![\d%])", v.split(" / ")[0]):
            assert int(n.replace(",", "")) >= 5, v
