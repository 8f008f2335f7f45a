"""docs/notebook.md runs: its python cells, in order, in one namespace, give the batch's mix and a chart."""

import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest

pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
pytest.importorskip("matplotlib")

from devrecs.batch.runner import BatchOptions, run_batch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebook.md"


def cells(text):
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def test_the_notebook_runs_and_its_chart_shows_the_batchs_mix(tmp_path, monkeypatch):
    code = cells(NOTEBOOK.read_text())
    assert len(code) >= 5
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    for n, cell in enumerate(code, 1):
        exec(compile(cell.replace('"intervention-mix.png"', repr(str(tmp_path / "mix.png"))),
                     f"{NOTEBOOK}:cell {n}", "exec"), namespace)
    chart = tmp_path / "mix.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 10_000
    stats = run_batch(BatchOptions(source="examples/ibm-hr-attrition/ibm-hr-attrition.csv",
                                   mapping="examples/ibm-hr-attrition/mapping.yaml", audience="hr",
                                   as_of=dt.date(2026, 6, 30)),
                      stdout=io.StringIO(), stderr=io.StringIO(), progress=False)
    assert dict(namespace["mix"]) == stats.interventions
    assert len(namespace["rejects"]) == 0 and len(namespace["recs"]) == sum(stats.interventions.values())
    # the broken row is rejected with the field and the reason, as a CSV row would be
    broken = namespace["frames"].recommend(namespace["broken"], mapping="examples/ibm-hr-attrition/mapping.yaml",
                                           as_of=dt.date(2026, 6, 30)).rejects
    assert list(broken["record"]) == ["DataFrame row 1"] and list(broken["field"]) == ["performance"]
    assert os.path.exists(tmp_path / "mix.png")
