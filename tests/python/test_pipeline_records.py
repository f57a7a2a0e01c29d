"""edgebench pipeline stores its measurements like every measuring command: one record per
number of inputs in flight, with the per-query latencies and the pipeline's figures."""

import json
import sqlite3

from conftest import MODELS, cli

CNN = MODELS / "fashion_mnist_cnn.onnx"
RUN = ["--workers", "native", "--segments", 2, "--queries", 40, "--warmup", 5,
       "--in-flight", "1,2"]


def test_pipeline_records_go_to_the_store(tmp_path):
    r = cli("pipeline", CNN, *RUN, "--db", tmp_path / "r.db", "--label", "piped",
            "--json", tmp_path / "p.json")
    assert "2 result(s) stored in" in r.stdout
    with sqlite3.connect(tmp_path / "r.db") as db:
        rows = [json.loads(j) for (j,) in db.execute("SELECT json FROM results ORDER BY id")]
    assert len(rows) == 2
    figures = json.loads((tmp_path / "p.json").read_text())
    for record, run in zip(sorted(rows, key=lambda r: r["params"]["pipeline"]["in_flight"]),
                           figures["runs"]):
        assert record["command"] == "pipeline" and record["label"] == "piped"
        assert record["scenario"]["name"] == "pipeline" and record["valid"]
        assert record["backend"]["name"] == "native,native"
        assert len(record["latencies_ms"]) == 40
        p = record["params"]["pipeline"]
        assert p["in_flight"] == run["in_flight"] and len(p["segments"]) == 2
        assert abs(record["throughput"]["samples_per_s"] - run["throughput_per_s"]) < 1e-6
        assert abs(p["speedup"] - run["speedup"]) < 1e-9
    # The readers take them like any other result.
    assert "pipeline" in cli("results", "list", "--db", tmp_path / "r.db").stdout
    assert "p50 ratio 95% CI" in cli("compare", "--db", tmp_path / "r.db").stdout


def test_pipeline_no_db_stores_nothing_and_a_bad_store_fails_first(tmp_path):
    cli("pipeline", CNN, *RUN, "--no-db", cwd=tmp_path)
    assert not list(tmp_path.iterdir())
    (tmp_path / "folder.db").mkdir()
    r = cli("pipeline", CNN, *RUN, "--db", tmp_path / "folder.db", check=False)
    assert r.returncode == 2 and "is a folder" in r.stderr and "pipeline:" not in r.stdout


def test_measured_per_op_times_choose_the_cuts(tmp_path):
    cli("bench", CNN, "--profile-ops", "--min-queries", 64, "--min-duration", 0, "--no-db",
        "--quiet", "--json", tmp_path / "prof.json")
    r = cli("pipeline", CNN, *RUN, "--strategy", "measured", "--op-times", tmp_path / "prof.json",
            "--no-db", "--json", tmp_path / "p.json")
    assert "balanced measured per-op times" in r.stdout
    assert json.loads((tmp_path / "p.json").read_text())["strategy"] == "measured"
    # Without --op-times the first worker profiles the whole model first.
    r = cli("pipeline", CNN, *RUN, "--strategy", "measured", "--no-db")
    assert "balanced measured per-op times" in r.stdout
    # A record without a profile, or the profile of another model: exit 2, saying so.
    cli("bench", CNN, "--min-queries", 64, "--min-duration", 0, "--no-db", "--quiet",
        "--json", tmp_path / "plain.json")
    r = cli("pipeline", CNN, *RUN, "--strategy", "measured", "--op-times",
            tmp_path / "plain.json", "--no-db", check=False)
    assert r.returncode == 2 and "holds no op profile" in r.stderr
    other = json.loads((tmp_path / "prof.json").read_text())
    for entry in other["profile"]["by_node"]:
        entry["name"] = "other/" + entry["name"]
    (tmp_path / "other.json").write_text(json.dumps(other))
    r = cli("pipeline", CNN, *RUN, "--strategy", "measured", "--op-times",
            tmp_path / "other.json", "--no-db", check=False)
    assert r.returncode == 2 and "names none of the model's nodes" in r.stderr
