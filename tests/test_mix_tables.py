"""The IBM mix of the default packs: plausible, every reason true, and the docs tables current.

scripts/mix_tables.py measures a clean run (no plugin) and writes README's
IBM table and docs/mix.md; these tests fail when they are stale.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("mix_tables", ROOT / "scripts" / "mix_tables.py")
mix = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mix)


@pytest.fixture(scope="module")
def engine():
    return mix.engine()


@pytest.fixture(scope="module")
def ibm():
    return mix.ibm_people()


def test_no_individual_intervention_goes_to_more_than_35_percent_of_the_ibm_people(engine, ibm):
    per, _, _ = mix.counts(engine, ibm)
    too_many = {i: n for i, n in per.items() if n > mix.LIMIT * len(ibm)}
    assert not too_many, too_many


def test_every_stated_reason_is_true_of_the_persons_data(engine, ibm):
    for people in (ibm, mix.sample_people()):
        with_items, all_true, false_rules = mix.reasons_true(engine, people)
        assert with_items and all_true == with_items, false_rules.most_common(5)


def test_the_strict_check_catches_a_reason_read_from_missing_data(engine):
    # the 7cf748f learning-time rule read an empty history as "no development under way"
    from devrecs.rulefile.conditions import Items, ItemTest
    none_recent = Items("history", "none", (ItemTest("months_ago", "le", 12),))
    from devrecs.facts import HISTORY_KNOWN_DAYS
    unknown_history = {"history": [], HISTORY_KNOWN_DAYS: None}
    complete_history = {"history": [], HISTORY_KNOWN_DAYS: 100000}
    assert mix.strict(none_recent, unknown_history.get) is None
    assert mix.strict(none_recent, complete_history.get) is True


def test_readme_and_docs_tables_are_current():
    assert mix.stale(mix.blocks()) == [], "run: python scripts/mix_tables.py"
