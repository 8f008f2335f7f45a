"""durable-rules can crash the whole process (architecture.md): generated rules and people
are run through the engine in a child process, and any crash fails the test."""

import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = textwrap.dedent("""\
    import sys
    sys.path.insert(0, {here!r})
    from hypothesis import HealthCheck, given, settings, strategies as st
    from devrecs.catalog import Catalog
    from devrecs import Engine
    from devrecs.errors import RuleFileError
    from devrecs.model import Intervention
    from strategies import AS_OF, INTERVENTIONS, people, rule_lists

    CATALOG = Catalog([Intervention(i, i, "", "career", "person", ("hr",)) for i in INTERVENTIONS])
    runs = [0]

    @settings(max_examples={examples}, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(rules=rule_lists(max_size=8), crowd=st.lists(people(), max_size=12),
           chunk=st.sampled_from([1, 4, 256]))
    def run(rules, crowd, chunk):
        for i, p in enumerate(crowd):
            p["id"] = f"p{{i}}"
        try:
            engine = Engine(rules, CATALOG, as_of=AS_OF, chunk_size=chunk)
        except RuleFileError:
            return
        for person in crowd:
            engine.recommend(person)
        list(engine.recommend_many(crowd))
        engine.recommend_organization(crowd)
        runs[0] += 1

    run()
    print("ran", runs[0])
    """)


def test_generated_rules_and_people_never_crash_the_process():
    child = subprocess.run([sys.executable, "-c", CHILD.format(here=str(HERE), examples=80)],
                           capture_output=True, text=True, timeout=900)
    assert child.returncode == 0, (
        f"the engine process died (exit {child.returncode}); stderr:\n{child.stderr[-3000:]}")
    ran = int(child.stdout.split("ran")[-1])
    assert ran >= 40, f"only {ran} generated cases compiled: the crash test tests too little"
