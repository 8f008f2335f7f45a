"""The application layer: one intake, one population run, plugins through pm.hook, for every command.

Each test here failed on 7cf748f: --org ignored --audience, batch never called the sinks, a
plugin's source worked in batch only, enrichment ran two or three times, and plugin faults
printed tracebacks.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import devrecs
from devrecs import Engine
from devrecs.cli import cli
from devrecs.intake.peoplefile import sample_file

ROOT = Path(__file__).resolve().parents[1]

# A local plugin (DEVRECS_PLUGINS_DIR): a source "lines" reading JSON objects one per line from
# *.people, a sink writing one line per subject to $SINK_FILE, an enricher counting its calls in
# $ENRICH_FILE and adding one history entry.
PLUGIN = textwrap.dedent('''
    import json, os
    import devrecs

    class LinesSource:
        extensions = (".people",)
        tabular = False

        def __init__(self, location, **options):
            self.location = location
            self.label = location

        def __iter__(self):
            with open(self.location) as f:
                for n, line in enumerate(f, 1):
                    if line.strip():
                        yield f"{self.location} person {n}", json.loads(line)

    @devrecs.hookimpl
    def devrecs_register_sources(register):
        register("lines", LinesSource)

    @devrecs.hookimpl
    def devrecs_recommendations_made(subject, recommendations, audience):
        path = os.environ.get("SINK_FILE")
        if path:
            with open(path, "a") as f:
                f.write(json.dumps({"subject": subject, "audience": audience,
                                    "items": [r.intervention for r in recommendations]}) + "\\n")

    @devrecs.hookimpl
    def devrecs_enrich_person(person):
        path = os.environ.get("ENRICH_FILE")
        if path:
            with open(path, "a") as f:
                f.write(person.id + "\\n")
        return {"history": [{"intervention": "conference-attendance", "date": "2020-01-01",
                             "outcome": "completed"}]}
''')


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "local.py").write_text(PLUGIN)
    monkeypatch.setenv("DEVRECS_PLUGINS_DIR", str(folder))
    monkeypatch.setenv("SINK_FILE", str(tmp_path / "sink.jsonl"))
    monkeypatch.setenv("ENRICH_FILE", str(tmp_path / "enriched.txt"))
    return tmp_path


def people_file(tmp_path, n=None):
    """The sample as a .people file (one JSON object per line) for the plugin's source."""
    records = [raw for _, raw in sample_file().records][:n]
    path = tmp_path / "org.people"
    path.write_text("\n".join(json.dumps(r, default=str) for r in records) + "\n")
    return path, records


def sink_lines(tmp_path):
    path = tmp_path / "sink.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def run(*args, **kwargs):
    result = CliRunner().invoke(cli, [str(a) for a in args], **kwargs)
    assert "Traceback" not in (result.output + (result.stderr or "")), result.output
    return result


# -- audiences ---------------------------------------------------------------------------------

def test_org_with_an_audience_shows_and_sinks_only_what_that_audience_may_see(plugin_dir):
    result = run("recommend", "--sample", "--org", "--audience", "executive", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    catalog = Engine.default().catalog
    items = [r for p in out["people"] for r in p["recommendations"]]
    items += [r for t in out["teams"] for r in t["recommendations"]] + out["organization"]["recommendations"]
    assert items, "the executive view of the sample is not empty"
    assert all(catalog.visible_to(r["intervention"], "executive") for r in items)
    hidden = {"performance_plan", "wellbeing_concern"}
    assert not [e for r in items for e in r["evidence"] if e["fact"] in hidden]
    told = sink_lines(plugin_dir)
    assert told and {t["audience"] for t in told} == {"executive"}
    assert all(catalog.visible_to(i, "executive") for t in told for i in t["items"])


def test_org_with_an_audience_is_computed_from_what_it_may_see(plugin_dir):
    """Twins that differ only in a fact hidden from executives give the same executive output."""
    records = [raw for _, raw in sample_file().records]
    a = [dict(r) for r in records]
    b = [dict(r, wellbeing_concern=not r.get("wellbeing_concern", False)) if i == 3 else dict(r)
         for i, r in enumerate(records)]
    outs = []
    for crowd in (a, b):
        path = plugin_dir / "twins.people"
        path.write_text("\n".join(json.dumps(r, default=str) for r in crowd) + "\n")
        result = run("recommend", path, "--org", "--audience", "executive", "--format", "json",
                     "--as-of", "2026-06-30")
        assert result.exit_code == 0, result.output
        outs.append(result.stdout)
    assert outs[0] == outs[1]


# -- sinks ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("workers", ["1", "2"])
def test_batch_calls_the_sinks_once_per_person_with_and_without_workers(plugin_dir, workers):
    path, records = people_file(plugin_dir, 40)
    env = dict(os.environ)
    done = subprocess.run([sys.executable, "-m", "devrecs.cli", "batch", str(path), "--workers", workers,
                           "--audience", "manager", "--out", str(plugin_dir / "out.jsonl")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    told = sink_lines(plugin_dir)
    assert sorted(t["subject"] for t in told) == sorted(r["id"] for r in records)
    assert {t["audience"] for t in told} == {"manager"}
    rows = {json.loads(line)["person"]: json.loads(line) for line in (plugin_dir / "out.jsonl").read_text().splitlines()}
    assert {t["subject"]: t["items"] for t in told} == {
        pid: [r["intervention"] for r in row["recommendations"]] for pid, row in rows.items()}


def test_batch_org_calls_the_sinks_for_people_teams_and_the_organization(plugin_dir):
    path, records = people_file(plugin_dir)
    result = run("batch", path, "--org", "--out", plugin_dir / "out.jsonl")
    assert result.exit_code == 0, result.output
    subjects = [t["subject"] for t in sink_lines(plugin_dir)]
    assert "organization" in subjects and set(r["id"] for r in records) <= set(subjects)


# -- a plugin's source, with --source and by extension, in every command -------------------------------

def test_a_plugin_source_works_in_every_command(plugin_dir):
    path, records = people_file(plugin_dir)
    first = records[0]["id"]
    log = plugin_dir / "log.jsonl"
    commands = [
        ("recommend", path, "--source", "lines", "--as-of", "2026-06-30"),
        ("recommend", path, "--as-of", "2026-06-30", "--audience", "manager", "--log", log),
        ("explain", path, first, "--source", "lines"),
        ("batch", path, "--source", "lines", "--out", plugin_dir / "b.jsonl"),
        ("audit", path, "--source", "lines", "--by", "gender"),
        ("report", path, "--source", "lines", "--html", plugin_dir / "r.html"),
        ("diff", "builtin", "builtin", path, "--source", "lines"),
        ("replay", log, "--people", path, "--source", "lines"),
    ]
    for args in commands:
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)


def test_an_unknown_source_is_named_with_the_known_ones(plugin_dir):
    path, _ = people_file(plugin_dir)
    result = run("audit", path, "--source", "linez", "--by", "gender")
    assert result.exit_code == 2
    assert "unknown source 'linez' (did you mean 'lines'?)" in result.stderr


def test_explain_reads_a_csv_row_through_a_mapping():
    data = ROOT / "examples" / "ibm-hr-attrition"
    result = run("explain", data / "ibm-hr-attrition.csv", "ibm-1", "--mapping", data / "mapping.yaml",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["person"] == "ibm-1"


# -- enrichment once --------------------------------------------------------------------------------

def test_each_person_is_enriched_once_in_every_population_run(plugin_dir):
    path, records = people_file(plugin_dir, 30)
    counts = plugin_dir / "enriched.txt"
    engine = Engine.default()
    for use in ("recommend_organization", "recommend_many", "report", "cli --org"):
        counts.write_text("")
        if use == "report":
            from devrecs.reports.organization import build_report
            build_report(engine, records)
        elif use == "cli --org":
            assert run("recommend", path, "--org").exit_code == 0
        else:
            result = getattr(engine, use)(records)
            people = [p for p, _ in (result.people if use == "recommend_organization" else result)]
            assert all(sum(h.intervention == "conference-attendance" for h in p.history)
                       == 1 + sum(h.get("intervention") == "conference-attendance"
                                  for h in next(r for r in records if r["id"] == p.id).get("history", []))
                       for p in people)
        enriched = [pid for pid in counts.read_text().split() if pid != "devrecs-protected-probe"]   # E140 probes
        assert sorted(enriched) == sorted(r["id"] for r in records), use


def test_a_prepared_person_is_not_enriched_again(plugin_dir):
    engine = Engine.default()
    person = engine.prepare({"id": "p1"})
    assert len(person.history) == 1
    assert len(engine.evaluate(person).person.history) == 1


# -- plugin faults: one line naming the plugin and the hook, exit 2 ---------------------------------------

FAULTS = {
    "misspelled argument": ("@devrecs.hookimpl\ndef devrecs_enrich_person(persn):\n    return None\n",
                            "plugin 'local:bad'"),
    "renderer without render": ("@devrecs.hookimpl\ndef devrecs_register_formats(register):\n"
                                "    register('odd', object())\n", "no render(explanation) method"),
    "raising source": ("class S:\n    def __init__(self, location, **o):\n        pass\n"
                       "    def __iter__(self):\n        raise KeyError('boom')\n"
                       "@devrecs.hookimpl\ndef devrecs_register_sources(register):\n    register('bad', S)\n",
                       "the source 'bad' failed while reading"),
    "rule paths as a string": ("@devrecs.hookimpl\ndef devrecs_rule_paths():\n    return 'rules'\n",
                               "returned str from devrecs_rule_paths; expected a list of paths"),
    "raising enricher": ("@devrecs.hookimpl\ndef devrecs_enrich_person(person):\n    raise ValueError('no')\n",
                         "plugin 'local:bad' failed in devrecs_enrich_person: ValueError: no"),
    "import error": ("import no_such_module_here\n", "plugin 'local:bad'"),
    "source name taken": ("@devrecs.hookimpl\ndef devrecs_register_sources(register):\n"
                          "    register('csv', object)\n", "the data source 'csv' is registered twice"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_plugin_fault_is_one_clear_line(tmp_path, monkeypatch, fault):
    code, message = FAULTS[fault]
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "bad.py").write_text("import devrecs\n" + code)
    monkeypatch.setenv("DEVRECS_PLUGINS_DIR", str(folder))
    path, _ = people_file(tmp_path, 3)
    args = ["recommend", "--sample"]
    if fault == "raising source":
        args = ["batch", str(path), "--source", "bad"]
    elif fault == "renderer without render":
        args = ["explain", "--sample", "persona-deep-expert"]
    result = run(*args)
    assert result.exit_code == 2, (fault, result.output)
    assert message in result.stderr, (fault, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_misspelled_disabled_plugin_is_named_with_did_you_mean(monkeypatch):
    monkeypatch.setenv("DEVRECS_DISABLE_PLUGINS", "devrecs.formatz")
    result = run("recommend", "--sample")
    assert result.exit_code == 2
    assert "DEVRECS_DISABLE_PLUGINS names 'devrecs.formatz', which is no plugin (did you mean " \
           "'devrecs.formats'?)" in result.stderr


def test_two_plugins_registering_one_format_are_both_named():
    class A:
        @devrecs.hookimpl
        def devrecs_register_formats(self, register):
            register("same", object())

    with pytest.raises(devrecs.PluginError, match="the format 'same' is registered twice: by plugin 'one' and "
                                                  "by plugin 'two'"):
        Engine.default(plugins=[("one", A()), ("two", A())], entry_points=False).formats()


def test_hooks_go_through_pluggy_so_ordering_and_wrappers_apply():
    calls = []

    class Wrapper:
        @devrecs.hookimpl(wrapper=True)
        def devrecs_enrich_person(self, person):
            calls.append("before")
            result = yield
            calls.append("after")
            return result

    engine = Engine.default(plugins=[("w", Wrapper())], entry_points=False)
    calls.clear()                    # building the engine probes the enrichers (protected attributes)
    engine.prepare({"id": "x"})
    assert calls == ["before", "after"]


# -- import rules and the lazy CLI --------------------------------------------------------------------

def test_the_command_line_loads_no_engine_for_help():
    code = ("import sys, devrecs.cli\n"
            "from click.testing import CliRunner\n"
            "CliRunner().invoke(devrecs.cli.cli, ['--help'])\n"
            "heavy = [m for m in ('devrecs.engine.core', 'durable_rules_engine', 'sqlalchemy', 'yaml', 'devrecs.app') "
            "if m in sys.modules]\n"
            "print(heavy)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_cli_constants_match_the_library():
    from devrecs.audience import AUDIENCES
    from devrecs.cli import options
    from devrecs.engine.resolve import DEFAULT_CAP
    assert options.AUDIENCES == AUDIENCES and options.DEFAULT_CAP == DEFAULT_CAP
