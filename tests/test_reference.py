"""docs/reference.md is generated from the code (scripts/make_reference.py) and cannot go stale:
it must equal what the script makes now, and the script refuses a hook, fact or code without its
entry (issue 18)."""

import sys
from pathlib import Path

import pytest

from devrecs import Engine
from devrecs.facts import PERSON_FACTS, FactSpec
from devrecs.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_reference  # noqa: E402

REFERENCE = ROOT / "docs" / "reference.md"


@pytest.fixture(scope="module")
def made():
    return make_reference.render_reference()


def test_the_reference_is_what_the_code_says_now(made):
    assert REFERENCE.read_text(encoding="utf-8") == made, (
        "docs/reference.md is stale: run python scripts/make_reference.py")


def test_it_lists_every_hook_fact_id_and_code(made):
    engine = Engine.default(entry_points=False)
    for spec in make_reference.hooks():
        assert f"### `{spec.__name__}`" in made
    assert {h.__name__ for h in make_reference.hooks()} == {
        n for n in dir(hookspecs) if n.startswith("devrecs_")}
    for path in PERSON_FACTS:
        assert f"| `{path}` |" in made
    for intervention in engine.catalog.ids:
        assert f"| `{intervention}` |" in made
    for rule in engine.rules:
        assert f"| `{rule.id}` | {Path(rule.file).name} |" in made
    for code in make_reference.codes_in_sources():
        assert f"### {code}" in made and f" {code} " in made
    for name in ("RecordLabel", "Unreadable", "SourceError", "render(explanation) -> str"):
        assert name in made
    assert "E140" in make_reference.codes_in_sources()


def test_hook_examples_are_python():
    for name, code in make_reference.HOOK_EXAMPLES.items():
        compile(make_reference.textwrap.dedent(code), name, "exec")


def test_a_hook_without_an_example_stops_the_script(monkeypatch):
    def devrecs_new_hook(x: int) -> None:
        """A new hook."""
    devrecs_new_hook.devrecs_spec = {}
    monkeypatch.setattr(hookspecs, "devrecs_new_hook", devrecs_new_hook, raising=False)
    with pytest.raises(SystemExit, match="no example for the hooks devrecs_new_hook"):
        make_reference.render_reference()


def test_a_fact_without_its_meaning_stops_the_script(monkeypatch):
    monkeypatch.setitem(PERSON_FACTS, "shoe_size", FactSpec("int"))
    with pytest.raises(SystemExit, match="no meaning for the facts person.shoe_size"):
        make_reference.render_reference()


def test_a_code_without_an_example_stops_the_script(monkeypatch):
    found = make_reference.codes_in_sources()
    monkeypatch.setattr(make_reference, "codes_in_sources", lambda: found | {"E199"})
    with pytest.raises(SystemExit, match="no example for the codes E199"):
        make_reference.render_reference()


def test_an_example_that_no_longer_gives_its_code_stops_the_script(monkeypatch):
    monkeypatch.setitem(make_reference.CODE_EXAMPLES, "E112",
                        ("rules", {"r.yaml": make_reference._pack(make_reference._rule("a", "{performance: high}"))},
                         None))
    with pytest.raises(SystemExit, match="the example of E112 gave no E112"):
        make_reference.example_message("E112")


def test_a_new_built_in_rule_makes_the_page_stale(monkeypatch, made):
    real = Engine.default

    def more(*args, **kwargs):
        engine = real(*args, **kwargs)
        import attrs
        extra = attrs.evolve(engine.rules[0], id="a-brand-new-rule")
        return Engine(list(engine.rules) + [extra], engine.catalog)
    monkeypatch.setattr(Engine, "default", staticmethod(more))
    assert "a-brand-new-rule" in make_reference.render_reference()
    assert "a-brand-new-rule" not in made


def test_the_error_table_of_rules_md_has_every_error_code():
    table = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for code in sorted(c for c in make_reference.codes_in_sources() if c.startswith("E")):
        assert f"| `{code}` |" in table, code


def test_rules_md_says_the_exit_codes_validate_gives(tmp_path):
    from click.testing import CliRunner

    from devrecs.cli import cli
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "`devrecs validate` exits `0` when there is no problem and `1`" in text
    bad = tmp_path / "r.yaml"
    bad.write_text(make_reference._pack(make_reference._rule("a", "{performance: hihg}")))
    assert CliRunner().invoke(cli, ["validate", str(bad)]).exit_code == 1
    assert CliRunner().invoke(cli, ["recommend", "--sample", "--rules", str(bad)]).exit_code == 2
    assert "### scope: rules for teams and the organization" in text
