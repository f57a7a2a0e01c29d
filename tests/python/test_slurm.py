"""run-experiment --slurm against a real single-node Slurm (slurm_cluster.py) storing into a real
PostgreSQL server (postgres_server.py): the grid as job arrays, a board held as a Slurm license,
--status, a resubmission that runs only the missing cells, and a controller that does not
answer."""

import json
import subprocess
import time

import pytest

from conftest import MODELS, cli
from postgres_server import PostgresServer
from slurm_cluster import SlurmCluster

EXPERIMENT = {
    "name": "slurm-grid",
    "models": [{"name": f"c{f}", "generate": {"kind": "conv", "filters": f, "layers": 2,
                                               "input": 16}} for f in (8, 16)],
    "variants": {"dense": "", "p30": "--prune 0.3", "p60": "--prune 0.6"},
    "backends": ["native", "native-ref"],
    "scenarios": ["single-stream", "offline"],
    "bench": {"warmup": 1, "min_queries": 64, "min_duration": 0},
}


@pytest.fixture(scope="module")
def cluster():
    slurm = SlurmCluster()
    yield slurm
    slurm.stop()


@pytest.fixture(scope="module")
def server():
    pg = PostgresServer()
    yield pg
    pg.stop()


def test_an_experiment_through_slurm_into_postgres(cluster, server, tmp_path):
    server.sql("DROP TABLE IF EXISTS results; DROP TABLE IF EXISTS schema_version;")
    store = server.url()
    (tmp_path / "exp.json").write_text(json.dumps(EXPERIMENT))
    env = cluster.env()
    r = cli("run-experiment", tmp_path / "exp.json", "--db", store, "--slurm", "--chunk", 4,
            "--slurm-license", "native-ref=board_a", "--wait", cwd=tmp_path, env=env)
    # Two arrays: the native cells, and the native-ref cells holding the board's license.
    assert r.stdout.count("submitted job") == 2 and "holding license board_a" in r.stdout
    assert "24 of 24 submitted cell(s) stored" in r.stdout
    assert "edgebench-test-password" not in r.stdout
    assert int(server.sql("SELECT count(DISTINCT key) FROM results")) == 24
    assert int(server.sql("SELECT count(*) FROM results")) == 24
    status = cli("run-experiment", tmp_path / "exp.json", "--db", store, "--status",
                 cwd=tmp_path, env=env).stdout
    assert "24 cells, 24 done, 0 running, 0 pending, 0 failed, 0 missing" in status
    assert "0 task(s) of job edgebench-slurm-grid pending or running" in status
    cli("report", "--db", store, "--html", tmp_path / "r.html")
    assert "slurm-grid" in (tmp_path / "r.html").read_text()

    # Lose three cells: --status names them, and a resubmission runs only those.
    server.sql("DELETE FROM results WHERE id IN (SELECT id FROM results WHERE key LIKE "
               "'%model=c16%' AND key LIKE '%backend=native|%' ORDER BY id LIMIT 3)")
    status = cli("run-experiment", tmp_path / "exp.json", "--db", store, "--status",
                 cwd=tmp_path, env=env).stdout
    assert "21 done, 0 running, 0 pending, 0 failed, 3 missing" in status
    assert status.count("  missing  c16") == 3
    r = cli("run-experiment", tmp_path / "exp.json", "--db", store, "--slurm", "--wait",
            cwd=tmp_path, env=env)
    assert "1 task(s)" not in r.stdout and "3 task(s) for 3 cell(s)" in r.stdout
    assert "3 of 3 submitted cell(s) stored" in r.stdout
    assert int(server.sql("SELECT count(*) FROM results")) == 24


def test_a_slurm_that_does_not_answer_exits_2(cluster, tmp_path):
    (tmp_path / "exp.json").write_text(json.dumps(EXPERIMENT))
    env = cluster.down_env(str(tmp_path))
    r = cli("run-experiment", tmp_path / "exp.json", "--db", tmp_path / "r.db", "--slurm",
            cwd=tmp_path, env=env, check=False, timeout=300)
    assert r.returncode == 2 and "controller" in r.stderr.lower()
    # --status still answers for the store, and says Slurm is not reachable.
    r = cli("run-experiment", tmp_path / "exp.json", "--db", tmp_path / "r.db", "--status",
            cwd=tmp_path, env=env, timeout=300)
    assert "24 missing" in r.stdout and "not reachable" in r.stdout
    r = cli("run-experiment", tmp_path / "exp.json", "--db", tmp_path / "r.db", "--slurm",
            "--slurm-license", "native-ref", cwd=tmp_path, env=env, check=False)
    assert r.returncode == 2 and "expected BACKEND=LICENSE" in r.stderr


def status_once(tmp_path, store, env, wanted, timeout_s=120):
    """`run-experiment --status`, asked again until its text holds `wanted` (or time is up)."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = cli("run-experiment", tmp_path / "exp.json", "--db", store, "--status",
                     cwd=tmp_path, env=env).stdout
        if wanted in status or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_cells_waiting_for_a_board_show_as_pending_and_are_not_submitted_twice(cluster, server,
                                                                                tmp_path):
    server.sql("DROP TABLE IF EXISTS results; DROP TABLE IF EXISTS schema_version;")
    store = server.url()
    (tmp_path / "exp.json").write_text(json.dumps(EXPERIMENT))
    env = cluster.env()
    # Another job holds the board.
    blocker = subprocess.run(["sbatch", "--parsable", "--licenses=board_a:1", "--job-name=other",
                              "--output=/dev/null", "--wrap=sleep 120"], env=env,
                             capture_output=True, text=True, check=True).stdout.strip()
    try:
        cli("run-experiment", tmp_path / "exp.json", "--db", store, "--slurm", "--chunk", 3,
            "--slurm-license", "native-ref=board_a", cwd=tmp_path, env=env)
        status = status_once(tmp_path, store, env, "12 done")
        assert "12 done, 0 running, 12 pending, 0 failed, 0 missing" in status
        assert status.count("  pending  ") == 12 and "native-ref" in status
        # Submitting again leaves the pending cells to the tasks that hold them.
        r = cli("run-experiment", tmp_path / "exp.json", "--db", store, "--slurm", cwd=tmp_path,
                env=env)
        assert "12 cell(s) already pending or running in Slurm" in r.stdout
        assert "nothing to submit" in r.stdout
    finally:
        subprocess.run(["scancel", blocker], env=env, check=True)
    assert "24 cells, 24 done" in status_once(tmp_path, store, env, "24 done")
    assert int(server.sql("SELECT count(*) FROM results")) == 24
