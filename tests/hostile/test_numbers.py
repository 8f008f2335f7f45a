"""Hostile numbers (issue 17): every number reaches durable in a form it reads exactly, or the
record (or rule) is refused where it is read, naming the field.

durable-rules 2.0.28 reads an exponent only after a '.', so Python's ``1e-05``, ``1e+16`` or
``5e-324`` were lost from the fact (rules silently did not match) or, as the first fact of a
session, killed the process; whole numbers past 2**53 were compared with fractions as doubles
(or clamped to 64 bits) where Python compares exactly; NaN read as "no value".
"""

import datetime as dt
import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devrecs.catalog import Catalog
from devrecs import Engine
from devrecs.errors import RecordError, RuleFileError
from devrecs.model import Intervention, Rule, Target
from devrecs.people import person_from_dict
from devrecs.rulefile.conditions import Compare
from devrecs.rulefile.parse import parse_text

AS_OF = dt.date(2026, 6, 30)
CATALOG = Catalog([Intervention("mentoring", "mentoring", "", "career", "person", ("hr",))])
PLAIN = {"id": "first", "performance": "high"}   # posted first: the odd fact is not the session's first

EXPONENT_FORMS = [1e-05, -1e-05, 3e-308, 1e+16, -1e+16, 1e-310, 5e-324, 1.7976931348623157e308, 2.5e-07]


def engine(*whens):
    rules = [Rule(id=f"r{i}", title="t", when=w, recommend=(Target("mentoring"),)) for i, w in enumerate(whens)]
    return Engine(rules, CATALOG, as_of=AS_OF)


def fired(eng, person):
    durable = eng.durable_fired([PLAIN, person])[1]
    assert durable == eng.python_fired(person)
    return durable


@pytest.mark.parametrize("value", EXPONENT_FORMS)
def test_a_float_python_writes_with_an_exponent_is_read_exactly_by_durable(value):
    eng = engine(Compare("extra.x", "eq", value), Compare("extra.x", "ne", value),
                 Compare("compa_ratio", "le", value), Compare("compa_ratio", "gt", value))
    below, above = math.nextafter(value, -math.inf), math.nextafter(value, math.inf)
    assert fired(eng, {"id": "p", "extra": {"x": value}, "compa_ratio": value}) == ["r0", "r2"]
    assert fired(eng, {"id": "p", "extra": {"x": below}, "compa_ratio": below}) == ["r1", "r2"]
    if math.isfinite(above):
        assert fired(eng, {"id": "p", "extra": {"x": above}, "compa_ratio": above}) == ["r1", "r3"]


FIRST_FACT = """
import datetime as dt
from devrecs.catalog import Catalog
from devrecs import Engine
from devrecs.model import Intervention, Rule, Target
from devrecs.people import person_from_dict
from devrecs.rulefile.conditions import Compare
catalog = Catalog([Intervention("mentoring", "mentoring", "", "career", "person", ("hr",))])
rule = Rule(id="r0", title="t", when=Compare("compa_ratio", "lt", 1e-04), recommend=(Target("mentoring"),))
engine = Engine([rule], catalog, as_of=dt.date(2026, 6, 30))
print(engine.durable_fired([{"id": "p", "compa_ratio": %r}, {"id": "q"}]))
"""


@pytest.mark.parametrize("value", [1e-05, 3e-308, 1e-310])
def test_the_first_fact_of_a_session_may_hold_any_float(value):
    child = subprocess.run([sys.executable, "-c", FIRST_FACT % value], capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, f"the process died (exit {child.returncode}): {child.stderr[-2000:]}"
    assert child.stdout.strip() == "[['r0'], []]"


def test_negative_zero_equals_zero_for_both():
    eng = engine(Compare("extra.x", "eq", 0), Compare("extra.x", "lt", 0), Compare("tenure_years", "eq", -0.0))
    assert fired(eng, {"id": "p", "extra": {"x": -0.0}, "tenure_years": 0}) == ["r0", "r2"]


def test_the_json_durable_is_given_has_a_dot_before_every_exponent_and_strings_kept():
    from devrecs.numeric import durable_json
    text = durable_json([{"a": 1e-05, "b": [1e+16, 2.5e-07, 5e-324], "s": ",1e-5", "t": 'x":1e+5'}, -1e-310,
                         "2e-mail"])
    assert text == ('[{"a":1.0e-05,"b":[1.0e+16,2.5e-07,5.0e-324],"s":",1e-5","t":"x\\":1e+5"},-1.0e-310,'
                    '"2e-mail"]')
    with pytest.raises(ValueError):
        durable_json([math.nan])


@pytest.mark.parametrize("path,value", [
    ("level", 2 ** 53 + 1), ("level", 2 ** 64), ("months_in_role", 10 ** 30), ("level", 1e300),
    ("extra.x", 2 ** 53 + 1), ("extra.x", -(2 ** 70)), ("extra.x", math.nan), ("extra.x", math.inf),
    ("extra.x", -math.inf), ("extra.x", [1, 2 ** 64]), ("extra.x", {"y": math.nan}),
])
def test_a_record_with_a_number_durable_cannot_compare_exactly_is_refused_naming_the_field(path, value):
    raw = {"id": "p"}
    if path.startswith("extra."):
        raw["extra"] = {"x": value}
    else:
        raw[path] = value
    with pytest.raises(RecordError) as caught:
        person_from_dict(raw)
    assert f"person 'p', field '{path}" in str(caught.value)


def test_a_whole_number_past_2_53_once_matched_a_float_it_differs_from():
    eng = engine(Compare("extra.x", "eq", 2.0 ** 53))
    assert fired(eng, {"id": "p", "extra": {"x": 2 ** 53}}) == ["r0"]
    with pytest.raises(RecordError, match=r"field 'extra.x': 9007199254740993 is out of range"):
        eng.durable_fired([PLAIN, {"id": "p", "extra": {"x": 2 ** 53 + 1}}])


RULE = """\
ruleset: odd
rules:
  - id: odd-number
    title: Odd number
    when: {when}
    recommend: [mentoring]
"""


def load(when):
    parsed, problems = parse_text(RULE.format(when=when), "odd.yaml", ["mentoring"])
    if problems:
        raise RuleFileError(problems)
    return Engine(parsed.rules, CATALOG, as_of=AS_OF)


@pytest.mark.parametrize("when,at", [
    ("{extra.x: .nan}", ".nan"), ("{tenure_years: {lt: .inf}}", ".inf"), ("{compa_ratio: {gt: -.inf}}", "-.inf"),
    ("{extra.x: {in: [1, .NaN]}}", "[1"), ("{level: {eq: 9007199254740993}}", "9007"),
    ("{level: {lt: 18446744073709551616}}", "1844"), ("{extra.x: {between: [0, .inf]}}", "[0"),
])
def test_a_rule_with_nan_an_infinity_or_a_huge_whole_number_is_refused_where_it_is(when, at):
    with pytest.raises(RuleFileError) as caught:
        load(when)
    (problem,) = caught.value.problems
    col = len("    when: ") + when.index(at) + 1
    assert (problem.file, problem.line, problem.col, problem.code) == ("odd.yaml", 5, col, "E112")
    assert "not a finite number" in problem.message or "out of range" in problem.message
    assert "too complex" not in str(caught.value)


@pytest.mark.parametrize("when", ["{tenure_years: {lt: 1.0e-05}}", "{extra.x: {ge: 5.0e-324}}",
                                  "{compa_ratio: {lt: 1.0e+16}}", "{level: {le: 9007199254740992}}"])
def test_a_rule_with_a_tiny_or_huge_float_loads_and_matches(when):
    eng = load(when)        # refused as "too complex" (E130) before
    person = {"id": "p", "tenure_years": 0, "compa_ratio": 1.0, "level": 3, "extra": {"x": 1e-300}}
    assert eng.durable_fired([person]) == [["odd-number"]] == [eng.python_fired(person)]


def test_a_rule_built_in_code_with_nan_is_refused_not_called_too_complex():
    with pytest.raises(RuleFileError) as caught:
        engine(Compare("extra.x", "eq", math.nan))
    assert [p.code for p in caught.value.problems] == ["E112"]
    assert "rule 'r0' tests extra.x: nan is not a finite number" in str(caught.value)


# durable's number grammar (json.c): digits, then optionally '.' digits, then an exponent
DURABLE_NUMBER = r"-?\d+(\.\d*([eE][-+]?\d+)?)?"
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
              st.integers(-2 ** 53, 2 ** 53), st.text(st.sampled_from('0123456789eE+-.,:[]{}"\\ ax'))),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_durable_json_means_the_same_and_writes_only_numbers_durable_reads(value):
    import json
    import re

    from devrecs.numeric import durable_json
    text = durable_json(value)
    assert json.loads(text) == value
    strings = re.compile(r'"(?:[^"\\]|\\.)*"')
    for token in re.findall(r"-?\d[-\d.eE+]*", strings.sub('""', text)):
        assert re.fullmatch(DURABLE_NUMBER, token), (token, text)


@pytest.mark.parametrize("positions", [2 ** 53 + 1, 10 ** 20, -1, 1.5, True, "3"])
def test_open_leadership_positions_beyond_what_durable_compares_exactly_are_refused(positions):
    """The one organization fact people cannot tell is posted to durable like any number."""
    from devrecs import DevrecsError
    from devrecs.intake.peoplefile import sample_file
    eng = Engine.default()
    with pytest.raises(DevrecsError, match="open leadership positions: expected a whole number from 0 to 2"):
        eng.recommend_organization(list(sample_file().people())[:3], open_leadership_positions=positions)
    assert eng.recommend_organization(list(sample_file().people())[:3], open_leadership_positions=2 ** 53).organization \
        is not None


def test_the_cli_refuses_open_positions_past_2_53_as_a_usage_error():
    from click.testing import CliRunner

    from devrecs.cli import cli
    got = CliRunner().invoke(cli, ["recommend", "--sample", "--org", "--open-positions", str(10 ** 20)])
    assert got.exit_code == 2 and "--open-positions" in got.output and "Traceback" not in got.output
