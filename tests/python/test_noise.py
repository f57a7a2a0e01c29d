"""bench --cpu / --repeat / --baseline: pinned runs carry their conditions, a co-running load on
the pinned CPU flags the result noisy (in the record, the summary, compare and the report), and
a baseline measured in alternating rounds is stored beside the result."""

import json
import os
import sqlite3
import subprocess
import sys
import time

from conftest import MODELS, cli

CNN = MODELS / "fashion_mnist_cnn.onnx"
QUICK = ["--min-duration", "0.3", "--min-queries", "100", "--warmup", "5", "--quiet"]
CPU = max(os.sched_getaffinity(0))


def busy_loop_on(cpu):
    """A process that spins on `cpu` until killed."""
    code = f"import os\nos.sched_setaffinity(0, {{{cpu}}})\nwhile True:\n    pass\n"
    proc = subprocess.Popen([sys.executable, "-c", code])
    time.sleep(0.3)  # let it pin itself and start spinning
    return proc


def stored(db):
    with sqlite3.connect(db) as conn:
        return [json.loads(j) for (j,) in conn.execute("SELECT json FROM results ORDER BY id")]


def test_pinned_repeat_records_conditions_and_rounds(tmp_path):
    out = tmp_path / "r.json"
    r = cli("bench", CNN, "--cpu", CPU, "--repeat", 3, *QUICK, "--no-db", "--json", out)
    record = json.loads(out.read_text())
    c = record["conditions"]
    assert c["cpus"] == [CPU] and c["pinned"] is True
    assert len(c["round_p50_ms"]) == 3 and all(v > 0 for v in c["round_p50_ms"])
    lo, hi = min(c["round_p50_ms"]), max(c["round_p50_ms"])
    median = sorted(c["round_p50_ms"])[1]
    assert abs(c["spread_pct"] - 100 * (hi - lo) / median) < 1e-9
    assert c["other_load_pct"] is not None and c["steal_pct"] is not None
    assert c["loadavg_start"] is not None and c["loadavg_end"] is not None
    assert isinstance(c["noisy"], bool) and c["noisy"] == bool(c["noise_reasons"])
    # The pooled record holds every round's queries.
    assert len(record["latencies_ms"]) == record["timings"]["latency_ms"]["count"]
    assert record["timings"]["latency_ms"]["count"] >= 300
    assert f"CPUs {CPU} (pinned)" in r.stdout and "rounds       p50" in r.stdout


def test_a_co_running_load_on_the_pinned_cpu_is_flagged_noisy(tmp_path):
    db = tmp_path / "r.db"
    load = busy_loop_on(CPU)
    try:
        r = cli("bench", CNN, "--cpu", CPU, "--repeat", 2, *QUICK, "--db", db,
                "--label", "loaded")
    finally:
        load.kill()
        load.wait()
    (record,) = stored(db)
    c = record["conditions"]
    assert c["noisy"] is True, c
    assert any("other processes used" in why for why in c["noise_reasons"]), c
    # The spinning process had about half of the CPU.
    assert c["other_load_pct"] > 25, c
    assert "NOISY" in r.stdout
    # compare and the report say so too.
    cli("bench", CNN, "--repeat", 2, *QUICK, "--db", db, "--label", "again")
    compare = cli("compare", "--db", db).stdout
    noise_row = next(line for line in compare.splitlines() if line.startswith("noise"))
    assert "noisy" in noise_row
    assert "noisy run" in compare
    report = tmp_path / "report.html"
    cli("report", "--db", db, "--html", report)
    assert ">noisy<" in report.read_text()


def test_baseline_rounds_alternate_and_both_records_are_stored(tmp_path):
    db = tmp_path / "r.db"
    r = cli("bench", CNN, "--baseline", "native-ref", "--repeat", 2, *QUICK, "--db", db)
    records = stored(db)
    assert len(records) == 2
    base = next(r for r in records if "baseline_for" in r["params"])
    this = next(r for r in records if r is not base)
    assert base["backend"]["name"] == "native-ref" and this["backend"]["name"] == "native"
    assert base["params"]["baseline_for"] == this["id"]
    assert this["params"]["baseline"] == base["id"]
    assert len(base["conditions"]["round_p50_ms"]) == 2
    assert len(this["conditions"]["round_p50_ms"]) == 2
    assert "side by side" in r.stdout and "p50 ratio (this / baseline)" in r.stdout
    # A model file as the baseline: the same model here, so the same figures up to noise.
    cli("bench", CNN, "--baseline", CNN, *QUICK, "--no-db")


def test_bad_cpu_lists_and_repeat_are_refused(tmp_path):
    for bad in ["", "x", "3-1", "9999"]:
        r = cli("bench", CNN, "--cpu", bad, "--no-db", check=False)
        assert r.returncode == 2, (bad, r.stderr)
        assert "--cpu" in r.stderr
    r = cli("bench", CNN, "--cpu", "4000", "--no-db", *QUICK, check=False)
    assert r.returncode == 2 and "refused" in r.stderr
    r = cli("bench", CNN, "--repeat", 0, "--no-db", check=False)
    assert r.returncode == 2 and "--repeat" in r.stderr
    r = cli("bench", CNN, "--baseline", "nosuchbackend", "--no-db", *QUICK, check=False)
    assert r.returncode == 2 and "--baseline" in r.stderr


def test_the_library_takes_the_same_options():
    import edgebench

    before = os.sched_getaffinity(0)
    record = edgebench.bench(CNN, cpu=str(CPU), repeat=2, min_duration=0.2, min_queries=50,
                             warmup=3)
    assert record["conditions"]["cpus"] == [CPU] and record["conditions"]["pinned"]
    assert len(record["conditions"]["round_p50_ms"]) == 2
    # The calling thread gets its CPUs back.
    assert os.sched_getaffinity(0) == before
