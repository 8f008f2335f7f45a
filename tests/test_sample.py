"""The sample organization: reproducible, every persona present, plausible output."""

import collections
import subprocess
import sys
from pathlib import Path

from devrecs import Engine
from devrecs.intake.peoplefile import sample_file

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = sample_file()


def test_the_sample_is_made_by_the_seeded_script(tmp_path):
    out = tmp_path / "sample.yaml"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_sample.py"), "--out", str(out), "--quiet"],
                   check=True)
    shipped = (ROOT / "src" / "devrecs" / "data" / "sample.yaml").read_text()
    assert out.read_text() == shipped


def test_every_persona_of_the_domain_table_is_in_the_sample():
    ids = {p.id for p in SAMPLE.people()}
    for pid in ("persona-deep-expert", "persona-early-career", "persona-senior-flight-risk",
                "persona-regretful-manager", "persona-pip", "persona-wellbeing", "persona-waiting-graduate",
                "persona-power-motive", "persona-flight-risk-manager"):
        assert pid in ids
    assert 150 <= len(ids) <= 300


def test_plausible_over_the_sample():
    people = list(SAMPLE.people())
    result = Engine.default(as_of=SAMPLE.as_of).recommend_organization(people)
    per_person = collections.Counter()
    for person, recs in result.people:
        for intervention in {r.intervention for r in recs if r.subject == person.id}:
            per_person[intervention] += 1
    for intervention, n in per_person.items():
        assert n <= 0.6 * len(people), (intervention, n)   # nothing goes to most people
    seen = set(per_person)
    seen |= {r.intervention for recs in result.teams.values() for r in recs}
    seen |= {r.intervention for _, recs in result.people for r in recs}
    seen |= {r.intervention for r in result.organization}
    missing = set(Engine.default().catalog.ids) - seen
    assert not missing, f"never recommended in the sample: {sorted(missing)}"
