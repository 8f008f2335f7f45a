"""devrecs.frames unchanged inside Dask's map_partitions, on a LocalCluster of 2 worker processes."""

import datetime as dt
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from devrecs import frames  # noqa: E402

IBM = Path(__file__).resolve().parents[1] / "examples" / "ibm-hr-attrition"
CSV, MAPPING = IBM / "ibm-hr-attrition.csv", IBM / "mapping.yaml"
AS_OF = dt.date(2026, 6, 30)


def engines_built() -> int:
    """How many engines this process built (run on each worker)."""
    return frames.cached_engine.cache_info().misses


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=40) as cluster:
        with distributed.Client(cluster) as c:
            yield c


def test_the_ibm_data_on_two_workers_gives_what_one_process_gives(client):
    df = pd.read_csv(CSV, encoding="utf-8-sig")
    alone = frames.recommendations(df, mapping=MAPPING, as_of=AS_OF)
    people = dd.from_pandas(df, npartitions=8)
    recs = people.map_partitions(frames.recommendations, mapping=str(MAPPING), as_of=AS_OF,
                                 meta=frames.empty_recommendations())
    with distributed.get_task_stream(client) as stream:
        spread = recs.compute().reset_index(drop=True)
    assert len(spread) == len(alone) > 1000
    pd.testing.assert_frame_equal(spread, alone, check_dtype=False)
    # each worker that ran partitions built its engine once, however many partitions it ran
    ran: dict = {}
    for task in stream.data:
        if "recommendations" in task["key"][0] if isinstance(task["key"], tuple) else "recommendations" in task["key"]:
            ran[task["worker"]] = ran.get(task["worker"], 0) + 1
    built = client.run(engines_built)
    assert len(built) == 2 and sum(ran.values()) == 8, (ran, built)
    assert all(built[w] == 1 for w in ran) and max(ran.values()) > 1, (ran, built)

