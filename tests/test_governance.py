"""Rule governance: owner (alias author), approved_by and effective dates on packs and rules;
a rule out of effect on the as-of date does not fire, explain says so, lint warns on a pack
without owner, and the rule set hash covers the fields."""

import datetime as dt
import json
import textwrap

import pytest
from click.testing import CliRunner

from devrecs import Engine
from devrecs.authoring.lint import lint
from devrecs.cli import cli
from devrecs.errors import RuleFileError
from devrecs.packs import default_rules_dir, load_packs

CATALOG = default_rules_dir() / "catalog.yaml"

PERSON = {"id": "p1", "track": "individual_contributor", "career_stage": "mid", "performance": "medium"}


def pack(tmp_path, header="", rule="", name="gov.yaml"):
    path = tmp_path / name
    path.write_text("ruleset: gov\nversion: 1\n" + textwrap.dedent(header) + textwrap.dedent("""\
        rules:
          - id: mentor-all
            title: Mentoring for everyone
            recommend: mentoring
            rationale: Everyone learns from a mentor.
            source: test
        """) + textwrap.indent(textwrap.dedent(rule), "    "))
    return path


def rules_of(path):
    return {r.id: r for r in load_packs([CATALOG, path]).rules if r.ruleset == "gov"}


def problems(path):
    with pytest.raises(RuleFileError) as err:
        load_packs([CATALOG, path])
    return str(err.value)


def test_fields_are_read_and_a_rule_inherits_its_packs(tmp_path):
    path = pack(tmp_path, header="""\
        owner: People team
        approved_by: Works council
        effective_from: 2026-01-01
        effective_until: 2026-12-31
        """, rule="""\
        author: Jo Smith
        effective_from: '2026-03-01'
        effective_until: 2027-06-30
        """)
    r = rules_of(path)["mentor-all"]
    assert (r.owner, r.approved_by) == ("Jo Smith", "Works council")     # author is owner; approver inherited
    # its own dates narrow the pack's: from the later start to the earlier end
    assert (r.effective_from, r.effective_until) == (dt.date(2026, 3, 1), dt.date(2026, 12, 31))
    files = [f for f in load_packs([CATALOG, path]).files if f.ruleset == "gov"]
    assert files[0].governance.owner == "People team"


@pytest.mark.parametrize("header, rule, expected", [
    ("owner: a\nauthor: b\n", "", "gives both 'owner' and 'author'"),
    ("effective_from: soon\n", "", "E104 'effective_from' must be a date written YYYY-MM-DD, got 'soon'"),
    ("effective_from: 2026-05-01\neffective_until: 2026-04-30\n", "", "before it comes into effect"),
    ("owner: [a, b]\n", "", "'owner' must be text"),
    ("", "approver: x\n", "E103 unknown key 'approver' (did you mean 'approved_by'?)"),
    ("effective_until: 2026-01-31\n", "effective_from: 2026-02-01\n", "it would never apply"),
])
def test_bad_governance_is_a_located_error(tmp_path, header, rule, expected):
    assert expected in problems(pack(tmp_path, header=header, rule=rule))


@pytest.mark.parametrize("day, fires", [
    (dt.date(2026, 2, 28), False), (dt.date(2026, 3, 1), True), (dt.date(2026, 6, 30), True),
    (dt.date(2026, 12, 31), True), (dt.date(2027, 1, 1), False)])
def test_a_rule_fires_only_on_the_days_it_is_in_effect(tmp_path, day, fires):
    path = pack(tmp_path, rule="effective_from: 2026-03-01\neffective_until: 2026-12-31\n")
    engine = Engine.from_paths([path], as_of=day)
    assert ("mentor-all" in [r for rec in engine.recommend(PERSON) for r in rec.rules]) is fires
    # the same engine, asked for another day, follows that day
    other = dt.date(2026, 6, 30) if not fires else dt.date(2027, 1, 1)
    assert ("mentor-all" in [r for rec in engine.recommend(PERSON, as_of=other) for r in rec.rules]) is not fires


def test_a_packs_dates_hold_for_each_of_its_rules(tmp_path):
    path = pack(tmp_path, header="effective_until: 2025-12-31\n")
    engine = Engine.from_paths([path], as_of=dt.date(2026, 1, 1))
    assert "mentor-all" not in [r for rec in engine.recommend(PERSON) for r in rec.rules]


def test_devrecs_explain_says_the_rule_is_not_in_effect(tmp_path):
    path = pack(tmp_path, rule="effective_from: 2027-01-01\n")
    out = CliRunner().invoke(cli, ["explain", "--sample", "nw-004", "--rules", str(path), "--as-of", "2026-06-30",
                                   "--intervention", "mentoring"])
    assert out.exit_code == 0, out.output
    assert "rule 'mentor-all' (Mentoring for everyone): not in effect on 2026-06-30: it comes into effect " \
        "on 2027-01-01" in " ".join(out.output.split())
    now = CliRunner().invoke(cli, ["explain", "--sample", "nw-004", "--rules", str(path), "--as-of", "2027-01-01",
                                   "--intervention", "mentoring"])
    assert "not in effect" not in now.output and "fired" in now.output


def test_explain_names_the_rule_out_of_effect(tmp_path):
    path = pack(tmp_path, rule="effective_from: 2027-01-01\n")
    engine = Engine.from_paths([path], as_of=dt.date(2026, 6, 30))
    person = engine.prepare(PERSON)
    ex = engine.explain(person, "mentoring")
    item = ex.items[0]
    check = next(c for c in item.why_not if c.rule == "mentor-all")
    assert check.not_in_effect == "not in effect on 2026-06-30: it comes into effect on 2027-01-01"
    assert not check.fired
    assert "'mentor-all' not in effect then" in item.summary
    text = engine.render(ex, "text")
    assert "rule 'mentor-all' (Mentoring for everyone): not in effect on 2026-06-30" in text
    assert json.loads(engine.render(ex, "json"))["items"][0]["why_not"][0]["not_in_effect"].startswith("not in")
    expired = Engine.from_paths([pack(tmp_path, rule="effective_until: 2026-01-31\n")], as_of=dt.date(2026, 6, 30))
    ex = expired.explain(expired.prepare(PERSON), "mentoring")
    assert any(c.not_in_effect.endswith("it was in effect until 2026-01-31") for c in ex.items[0].why_not)


def test_lint_warns_on_a_pack_without_owner(tmp_path):
    bare = lint([pack(tmp_path)])
    assert [f.code for f in bare.findings if f.code == "L112"] == ["L112"]
    finding = next(f for f in bare.findings if f.code == "L112")
    assert "pack 'gov' has no owner" in finding.message and finding.file.endswith("gov.yaml")
    owned = lint([pack(tmp_path, header="author: People team\n")])
    assert not [f for f in owned.findings if f.code == "L112"]
    # the built-in packs name their owner
    assert not [f for f in lint().findings if f.code == "L112"]


def test_the_rule_set_hash_covers_the_governance_fields(tmp_path):
    hashes = set()
    for i, header in enumerate(["", "owner: a\n", "owner: b\n", "owner: b\napproved_by: c\n",
                                "owner: b\neffective_from: 2020-01-01\n", "owner: b\neffective_until: 2030-01-01\n"]):
        d = tmp_path / str(i)
        d.mkdir()
        hashes.add(Engine.from_paths([pack(d, header=header)]).ruleset_hash)
    assert len(hashes) == 6


def test_no_dated_rule_costs_nothing_per_person(tmp_path):
    engine = Engine.from_paths([pack(tmp_path)]).core
    assert engine._dated == () and engine._out_of_effect == {}
