"""run-experiment --targets: an experiment's "pool" cells spread over real targets (two C++
edgebench-target processes and a Python target serving ONNX Runtime), one cell per target at a
time, every cell stored once, and a target killed mid-run."""

import json
import signal
import sqlite3
import subprocess

from conftest import BUILD, CLI, cli

EXPERIMENT = {
    "name": "pooled",
    "models": [{"name": f"c{f}", "generate": {"kind": "conv", "filters": f, "layers": 2,
                                               "input": 32}} for f in (8, 16, 24)],
    "variants": {"dense": "", "p30": "--prune 0.3", "p50": "--prune 0.5", "p70": "--prune 0.7"},
    "backends": ["pool"],
    "scenarios": ["single-stream", "offline"],
    "bench": {"warmup": 2, "min_queries": 64, "min_duration": 0.25},
}


class CppTarget:
    def __init__(self):
        self.proc = subprocess.Popen([str(BUILD / "edgebench-target"), "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        assert "listening on 127.0.0.1:" in line, line
        self.port = int(line.split("127.0.0.1:")[1].split()[0])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


def make_pool(tmp_path, start_target):
    cpp = [CppTarget(), CppTarget()]
    python = start_target("--runtime", "onnxruntime")
    (tmp_path / "pool.txt").write_text(
        "# two C++ targets and a Python one\n"
        f"tcp://127.0.0.1:{cpp[0].port} kind=cpp\n"
        f"tcp://127.0.0.1:{cpp[1].port}  kind=cpp   # the second\n"
        f"tcp://127.0.0.1:{python.port} kind=python runtime=onnxruntime\n")
    (tmp_path / "exp.json").write_text(json.dumps(EXPERIMENT))
    return cpp, python


def stored(db):
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT key, json FROM results").fetchall()
    return [(key, json.loads(text)) for key, text in rows]


def test_a_pool_runs_every_cell_once_over_three_targets(tmp_path, start_target):
    cpp, python = make_pool(tmp_path, start_target)
    try:
        r = cli("run-experiment", tmp_path / "exp.json", "--targets", tmp_path / "pool.txt",
                "--db", tmp_path / "r.db")
    finally:
        for t in cpp:
            t.stop()
    assert "24 cells run, 0 failed" in r.stdout
    rows = stored(tmp_path / "r.db")
    keys = [k for k, _ in rows]
    assert len(keys) == 24 and len(set(keys)) == 24
    assert not [k for k in keys if k.endswith("|failed")]
    used = {rec["params"]["target"]["spec"] for _, rec in rows}
    assert len(used) == 3  # every target took cells
    # The Python target's cells ran on ONNX Runtime, the C++ targets' on the native engine.
    for _, rec in rows:
        labels = rec["params"]["target"]["labels"]
        assert rec["backend"]["name"] == rec["params"]["target"]["spec"]
        assert rec["backend"]["target"]["hostname"]  # the target's own description
        runtime = (rec["backend"].get("runtime") or {}).get("name", "")
        assert (runtime == "onnxruntime") == (labels["kind"] == "python")
    # Run again: everything is stored, nothing runs.
    again = cli("run-experiment", tmp_path / "exp.json", "--targets", tmp_path / "pool.txt",
                "--db", tmp_path / "r.db")
    assert "24 already in" in again.stdout and "0 cells run" in again.stdout


def test_a_target_killed_mid_run_leaves_its_cells_to_the_others(tmp_path, start_target):
    cpp, python = make_pool(tmp_path, start_target)
    victim = f"tcp://127.0.0.1:{cpp[0].port}"
    run = subprocess.Popen([str(CLI), "run-experiment", str(tmp_path / "exp.json"), "--targets",
                            str(tmp_path / "pool.txt"), "--db", str(tmp_path / "r.db")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        starts = 0
        for line in run.stdout:
            # Kill the victim just after it took its second cell (it is inside that cell).
            if line.startswith("[") and line.rstrip().split(" on ")[-1].startswith(victim):
                starts += 1
                if starts == 2:
                    cpp[0].proc.send_signal(signal.SIGKILL)
                    break
        out, err = run.communicate(timeout=600)
    finally:
        for t in cpp:
            t.stop()
    assert run.returncode == 0, err
    assert "no longer answers" in err and victim in err
    assert "24 cells run, 0 failed" in out
    rows = stored(tmp_path / "r.db")
    keys = [k for k, _ in rows]
    assert len(keys) == 24 and len(set(keys)) == 24
    assert not [k for k in keys if k.endswith("|failed")]
    # The cell the victim was running finished on another target.
    assert sum(rec["params"]["target"]["spec"] == victim for _, rec in rows) == 1


def test_bad_pools_exit_2(tmp_path, start_target):
    (tmp_path / "exp.json").write_text(json.dumps(EXPERIMENT))
    (tmp_path / "bad.txt").write_text("tcp://127.0.0.1:7000 kind=cpp\nftp://host:21 kind=x\n")
    r = cli("run-experiment", tmp_path / "exp.json", "--targets", tmp_path / "bad.txt",
            "--db", tmp_path / "r.db", check=False)
    assert r.returncode == 2 and "line 2" in r.stderr and "ftp://host:21" in r.stderr
    (tmp_path / "label.txt").write_text("tcp://127.0.0.1:7000 cpp\n")
    r = cli("run-experiment", tmp_path / "exp.json", "--targets", tmp_path / "label.txt",
            "--db", tmp_path / "r.db", check=False)
    assert r.returncode == 2 and "expected KEY=VALUE" in r.stderr
    r = cli("run-experiment", tmp_path / "exp.json", "--db", tmp_path / "r.db", check=False)
    assert r.returncode == 2 and "--targets" in r.stderr
    # A selector that no target matches: its cells fail (stored with the reason), exit 1.
    selective = dict(EXPERIMENT, backends=["pool:kind=gpu"], models=EXPERIMENT["models"][:1],
                     variants={"dense": ""}, scenarios=["single-stream"])
    (tmp_path / "gpu.json").write_text(json.dumps(selective))
    (tmp_path / "one.txt").write_text("null kind=cpu\n")
    r = cli("run-experiment", tmp_path / "gpu.json", "--targets", tmp_path / "one.txt",
            "--db", tmp_path / "r.db", check=False)
    assert r.returncode == 1 and "no live target of the pool matches" in r.stderr + r.stdout
