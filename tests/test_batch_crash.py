"""A worker that dies loses no record: its chunk is run again, and a record that crashes a
worker alone is rejected with the reason (issue 10)."""

import json
import textwrap

from click.testing import CliRunner

from devrecs.cli import cli

PLUGIN = textwrap.dedent("""\
    import os
    import devrecs

    @devrecs.hookimpl
    def devrecs_enrich_person(person):
        if person.id == "boom":
            os._exit(70)          # the whole worker process dies, as a durable crash would
        return None
    """)


def test_a_crashing_record_is_rejected_and_nothing_else_is_lost(tmp_path, monkeypatch):
    # an installed plugin, as the spawned workers will find it on their path
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "crasher.py").write_text(PLUGIN)
    info = tmp_path / "site" / "crasher-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: crasher\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[devrecs]\ncrasher = crasher\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))   # spawned workers get the parent's sys.path

    people = [{"id": f"p{i}", "performance": "high" if i % 2 else "low"} for i in range(600)]
    people.insert(300, {"id": "boom", "performance": "high"})
    source = tmp_path / "people.jsonl"
    source.write_text("\n".join(json.dumps(p) for p in people) + "\n")
    out, rejects = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"

    result = CliRunner().invoke(cli, ["batch", str(source), "--workers", "2", "--out", str(out),
                                          "--rejects", str(rejects)])
    assert result.exit_code == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "601 read, 600 accepted, 1 rejected"
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["person"] for r in rows] == [p["id"] for p in people if p["id"] != "boom"]
    (reject,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject["id"] == "boom" and "crashed the worker process" in json.dumps(reject)
