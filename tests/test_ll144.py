"""The bias audit in the NYC Local Law 144 format: selection rates and impact ratios by sex,
race/ethnicity and both; unknowns counted and left out; categories under 2% shown without a
ratio and with the reason; the IBM table in docs/fairness.md is the command's output."""

import importlib.util
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from devrecs import Engine
from devrecs.cli import cli
from devrecs.reports.fairness import ANY_DEVELOPMENT, audit_ll144, render_ll144

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("ll144_doc", ROOT / "scripts" / "ll144_doc.py")
ll144_doc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ll144_doc)

# (sex, race, people, selected): selected people have level 6, which the one rule below rewards
GROUPS = [("Female", "Asian", 50, 30), ("Male", "White", 200, 160), ("Female", "White", 40, 20),
          ("Male", "Asian", 3, 3), ("F", "Native American", 5, 1), ("Male", "", 7, 7),
          (None, "White", 4, 4), ("prefer not to say", "Asian", 1, 0)]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    d = tmp_path_factory.mktemp("ll144")
    (d / "r.yaml").write_text(textwrap.dedent("""\
        ruleset: r
        owner: test
        rules:
          - {id: senior-mentoring, title: t, when: {level: {ge: 5}}, recommend: [mentoring], rationale: r, source: s}
        """))
    return Engine.from_paths([d / "r.yaml"], entry_points=False)


def people(groups=GROUPS):
    out, n = [], 0
    for sex, race, size, selected in groups:
        for i in range(size):
            n += 1
            extra = {}
            if sex is not None:
                extra["Gender"] = sex
            if race is not None:
                extra["race_ethnicity"] = race
            out.append({"id": f"p{n}", "level": 6 if i < selected else 2, "extra": extra})
    return out


def table(result, dimension, selection=ANY_DEVELOPMENT):
    d = next(d for d in result.dimensions if d.name == dimension)
    t = next(t for t in d.tables if t.selection == selection)
    return d, {r.category: r for r in t.rows}


def test_selection_rates_and_impact_ratios_by_sex(engine):
    result = audit_ll144(engine, [engine.prepare(p) for p in people()])
    d, rows = table(result, "sex")
    assert (d.known, d.unknown) == (305, 5)         # no gender, and "prefer not to say"
    assert (rows["Female"].people, rows["Female"].selected) == (95, 51)       # "F" read as Female
    assert (rows["Male"].people, rows["Male"].selected) == (210, 170)
    assert rows["Male"].note == "most selected" and rows["Male"].ratio == 1.0
    assert rows["Female"].ratio == pytest.approx((51 / 95) / (170 / 210))
    # the category of the one "prefer not to say" answer is unknown, not a category of its own
    assert set(rows) == {"Female", "Male"}
    # mentoring is the one intervention: its table equals any development's
    assert table(result, "sex", "mentoring")[1]["Female"].selected == 51


def test_unknowns_are_shown_and_left_out_and_small_categories_lose_the_ratio_with_the_reason(engine):
    result = audit_ll144(engine, [engine.prepare(p) for p in people()])
    d, rows = table(result, "race/ethnicity")
    assert (d.known, d.unknown) == (303, 7)          # the 7 with an empty race
    assert (rows["White"].people, rows["White"].selected) == (244, 184)
    assert rows["White"].note == "most selected"
    assert rows["Asian"].ratio == pytest.approx((33 / 54) / (184 / 244))
    native = rows["Native American"]                 # 5 of 303: under 2%, shown without a ratio
    assert d.excluded == (("Native American", 5),)
    assert native.ratio is None and native.rate == pytest.approx(0.2) and "under 2%" in native.note
    text = render_ll144(result)
    assert "Excluded from the impact ratios: Native American (5 people, under 2% of the people of known " \
           "category)." in text
    assert "| Native American | 5 | 1 | 20.0% | — | under 2% of the people of known category: no impact ratio |" \
        in text
    assert "of unknown category: 7 (shown, excluded from the rates and ratios)" in text


def test_the_intersection_counts_people_whose_sex_and_race_are_both_known(engine):
    result = audit_ll144(engine, [engine.prepare(p) for p in people()])
    d, rows = table(result, "sex x race/ethnicity")
    assert (d.known, d.unknown) == (298, 12)
    assert rows["Male / White"].note == "most selected"
    assert rows["Female / Asian"].ratio == pytest.approx(0.6 / 0.8)
    assert rows["Female / White"].ratio == pytest.approx(0.5 / 0.8)
    small = rows["Male / Asian"]                     # 3 people: counts and rate withheld
    assert small.rate is None and small.ratio is None and "fewer than 5" in small.note
    assert small.to_dict()["people"] == "<5" and small.to_dict()["selected"] == "<5"
    assert "| Male / Asian | <5 | <5 | withheld | — |" in render_ll144(result)
    # a small category is never the most selected one, however high its rate (3 of 3 here)
    assert small.note != "most selected"


def test_without_race_the_audit_says_so_and_computes_no_race_or_intersection(engine):
    only_sex = [(s, None, n, k) for s, _, n, k in GROUPS]
    result = audit_ll144(engine, [engine.prepare(p) for p in people(only_sex)])
    by = {d.name: d for d in result.dimensions}
    assert by["sex"].tables and not by["sex"].missing
    for name in ("race/ethnicity", "sex x race/ethnicity"):
        assert not by[name].tables and by[name].unknown == 310 and "every person is of unknown category" in \
            by[name].missing
    text = render_ll144(result)
    assert "### Race/ethnicity\n\nNot audited: the data holds no race or ethnicity for anyone" in text
    assert "needs both sex and race/ethnicity, and the data lacks race/ethnicity" in text


def test_the_cli_format_ll144_and_its_usage_errors(tmp_path):
    out = CliRunner().invoke(cli, ["audit", "--sample", "--format", "ll144-json", "--data-from", "2026-01-01",
                                   "--data-until", "2026-06-30"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["format"] == "ll144" and (data["data_from"], data["data_until"]) == ("2026-01-01", "2026-06-30")
    assert [d["dimension"] for d in data["dimensions"]] == ["sex", "race/ethnicity", "sex x race/ethnicity"]
    for args, message in ((["--by", "gender"], "leave out --by"), ([], None)):
        r = CliRunner().invoke(cli, ["audit", "--sample", "--format", "ll144", *args])
        assert (r.exit_code == 2 and message in r.output) if message else r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["audit", "--sample"])
    assert r.exit_code == 2 and "give --by" in r.output
    r = CliRunner().invoke(cli, ["audit", "--sample", "--format", "ll144", "--data-from", "2026-02-01",
                                 "--data-until", "2026-01-01"])
    assert r.exit_code == 2 and "before --data-from" in r.output


def test_the_ibm_table_in_the_docs_is_the_commands_output():
    doc = ll144_doc.doc_table((ROOT / "docs" / "fairness.md").read_text(encoding="utf-8"))
    assert doc == ll144_doc.command_output(), "docs/fairness.md is stale: run python scripts/ll144_doc.py"
    assert "Not audited: the data holds no race or ethnicity for anyone" in doc
