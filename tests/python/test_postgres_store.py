"""The PostgreSQL results store (`--db postgresql://...`) against a real server started for these
tests (postgres_server.py): every command that stores or reads results, concurrent writers, a
writer killed inside its transaction, imports from SQLite stores, and bad connections."""

import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import CLI, MODELS, cli
from postgres_server import PostgresServer, free_port

CNN = MODELS / "fashion_mnist_cnn.onnx"
FASHION = "fashion-mnist:/usr/share/datasets/fashion-mnist:test"
QUICK = ["--min-queries", "64", "--min-duration", "0", "--warmup", "1", "--quiet"]


@pytest.fixture(scope="module")
def server():
    pg = PostgresServer()
    yield pg
    pg.stop()


@pytest.fixture
def store(server):
    """A fresh results store: the database emptied of the store's tables."""
    server.sql("DROP TABLE IF EXISTS results; DROP TABLE IF EXISTS schema_version;")
    return server.url()


def rows(server, where="true"):
    return int(server.sql(f"SELECT count(*) FROM results WHERE {where}"))


def test_bench_eval_and_the_readers_use_the_server(server, store, tmp_path):
    bench = cli("bench", CNN, "--db", store, "--label", "pg", *QUICK)
    # The password never shows.
    assert "stored in postgresql://eb:***@127.0.0.1" in bench.stdout
    assert "edgebench-test-password" not in bench.stdout + bench.stderr
    cli("eval", CNN, "--dataset", FASHION, "--limit", 20, "--db", store, "--label", "pg-eval",
        "--quiet")
    assert rows(server) == 2
    assert server.sql("SELECT version FROM schema_version") == "1"

    listed = cli("results", "list", "--db", store).stdout
    assert "pg-eval" in listed and "single-stream" in listed
    record_id = server.sql("SELECT id FROM results WHERE label = 'pg'")
    shown = json.loads(cli("results", "show", record_id[:-2], "--db", store, "--json").stdout)
    assert shown["id"] == record_id and shown["label"] == "pg"
    assert len(shown["latencies_ms"]) >= 64
    assert "pg" in cli("compare", "--db", store).stdout
    cli("report", "--db", store, "--html", tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "pg-eval" in page and "edgebench-test-password" not in page
    # A command that only reads does not create a store in an empty database.
    server.sql("DROP TABLE results; DROP TABLE schema_version;")
    r = cli("results", "list", "--db", store, check=False)
    assert r.returncode == 2 and "no edgebench results store" in r.stderr
    assert server.sql("SELECT to_regclass('results') IS NULL") == "t"


def test_four_concurrent_writers_store_every_result_once(server, store):
    # Each writer runs 25 benches one after the other; the four run at once.
    script = ('for i in $(seq 25); do "$0" bench "$1" --db "$2" --label "$3" ' +
              " ".join(QUICK) + ' > /dev/null || exit 1; done')
    writers = [subprocess.Popen(["bash", "-c", script, str(CLI), str(CNN), store, f"w{k}"],
                                stderr=subprocess.PIPE, text=True) for k in range(4)]
    for w in writers:
        _, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
    assert rows(server) == 100
    assert int(server.sql("SELECT count(DISTINCT id) FROM results")) == 100
    for k in range(4):
        assert rows(server, f"label = 'w{k}'") == 25
    # Every stored record reads back whole.
    listed = cli("results", "list", "--db", store, "--limit", 0).stdout
    assert sum(line.count(" w") for line in listed.splitlines()) >= 100


def test_a_writer_killed_inside_its_transaction_loses_only_its_result(server, store):
    cli("bench", CNN, "--db", store, "--label", "before", *QUICK)
    # Hold a lock that makes the next INSERT wait, so the writer is inside its transaction.
    locker = subprocess.Popen(server.sql_command(), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=server.env())
    locker.stdin.write("BEGIN; LOCK TABLE results IN EXCLUSIVE MODE; SELECT 'locked';\n")
    locker.stdin.flush()
    assert locker.stdout.readline().strip() == "locked"
    writer = subprocess.Popen([str(CLI), "bench", str(CNN), "--db", store, "--label", "killed",
                               *QUICK], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    waiting = "0"
    for _ in range(600):
        waiting = server.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                             "'edgebench' AND wait_event_type = 'Lock' AND query LIKE 'INSERT%'")
        if waiting == "1" or writer.poll() is not None:
            break
        time.sleep(0.05)
    assert waiting == "1", "the writer never reached its INSERT"
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    # The server notices the dead client within its check interval (1 s, set by the store's
    # connection) and rolls its transaction back, lock or no lock.
    for _ in range(200):
        if server.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                      "'edgebench'") == "0":
            break
        time.sleep(0.05)
    locker.stdin.write("COMMIT;\n")
    locker.stdin.close()
    assert locker.wait(timeout=30) == 0
    assert rows(server, "label = 'killed'") == 0
    assert rows(server, "label = 'before'") == 1
    cli("bench", CNN, "--db", store, "--label", "after", *QUICK)
    assert rows(server) == 2


def test_two_sqlite_stores_imported_once_and_reported(server, store, tmp_path):
    for host in ("host-a", "host-b"):
        for _ in range(2):
            cli("bench", CNN, "--db", tmp_path / f"{host}.db", "--label", host, *QUICK)
        # The two stores stand for two hosts: their records name them.
        with sqlite3.connect(tmp_path / f"{host}.db") as db:
            db.execute("UPDATE results SET json = json_set(json, '$.host.hostname', ?)", (host,))
    r = cli("results", "import", tmp_path / "host-a.db", tmp_path / "host-b.db", "--db", store)
    assert "2 result(s) imported" in r.stdout
    assert rows(server) == 4
    # Again: nothing new.
    r = cli("results", "import", tmp_path / "host-a.db", "--db", store)
    assert "0 result(s) imported" in r.stdout and "2 already there" in r.stdout
    assert rows(server) == 4
    # The same ids and records as the SQLite stores hold.
    with sqlite3.connect(tmp_path / "host-a.db") as db:
        ids = {i for (i,) in db.execute("SELECT id FROM results")}
    assert ids == set(server.sql("SELECT id FROM results WHERE label = 'host-a'").split())
    # A JSONL export imports too, and export --to copies the server's store into a file.
    cli("results", "export", "--db", store, "--jsonl", tmp_path / "all.jsonl")
    cli("results", "export", "--db", store, "--to", tmp_path / "copy.db")
    with sqlite3.connect(tmp_path / "copy.db") as db:
        assert db.execute("SELECT count(*) FROM results").fetchone()[0] == 4
    r = cli("results", "import", tmp_path / "all.jsonl", "--db", store)
    assert "0 result(s) imported" in r.stdout and "4 already there" in r.stdout
    cli("report", "--db", store, "--html", tmp_path / "hosts.html")
    page = (tmp_path / "hosts.html").read_text()
    # The report compares the two hosts side by side.
    machines = page[page.index('id="machines"'):]
    machines = machines[:machines.index("</section>")]
    assert "Machines compared" in machines and "host-a p50 ms" in machines
    assert "host-b ratio" in machines


def test_bad_connections_exit_2_naming_the_cause(server, store, tmp_path):
    cli("bench", CNN, "--db", store, "--label", "kept", *QUICK)
    wrong = server.url(password="not-the-password")
    r = cli("bench", CNN, "--db", wrong, *QUICK, check=False)
    assert r.returncode == 2
    assert "password authentication failed" in r.stderr
    assert "postgresql://eb:***@127.0.0.1" in r.stderr and "not-the-password" not in r.stderr

    closed = f"postgresql://eb@127.0.0.1:{free_port()}/edgebench"
    start = time.monotonic()
    r = cli("results", "list", "--db", closed, check=False)
    assert r.returncode == 2 and "cannot open results store" in r.stderr
    assert "refused" in r.stderr.lower() and time.monotonic() - start < 30

    r = cli("results", "list", "--db", server.url(database="nonesuch"), check=False)
    assert r.returncode == 2 and "nonesuch" in r.stderr

    r = cli("results", "import", tmp_path / "missing.db", "--db", store, check=False)
    assert r.returncode == 2 and "missing.db" in r.stderr

    # A store written by a newer edgebench is refused, not rewritten.
    server.sql("DROP DATABASE IF EXISTS newer", database="postgres")
    server.sql("CREATE DATABASE newer", database="postgres")
    server.sql("CREATE TABLE schema_version (version INTEGER NOT NULL); "
               "INSERT INTO schema_version VALUES (99)", database="newer")
    r = cli("bench", CNN, "--db", server.url(database="newer"), *QUICK, check=False)
    assert r.returncode == 2 and "store schema version 99" in r.stderr
    assert server.sql("SELECT version FROM schema_version", database="newer") == "99"
    # Nothing already stored was lost.
    assert rows(server, "label = 'kept'") == 1


def test_the_password_may_come_from_pgpassword(server, store):
    bare = f"postgresql://eb@127.0.0.1:{server.port}/edgebench"
    env = dict(os.environ, PGPASSWORD="edgebench-test-password")
    cli("bench", CNN, "--db", bare, "--label", "env", *QUICK, env=env)
    assert rows(server, "label = 'env'") == 1


def test_run_experiment_and_sweep_store_into_the_server(server, store, tmp_path):
    experiment = {
        "name": "pg-grid",
        "db": store,  # a URL in the file is taken as it is
        "models": [{"name": "c8", "generate": {"kind": "conv", "filters": 8, "layers": 2,
                                                "input": 16}}],
        "variants": {"dense": "", "pruned": "--prune 0.5"},
        "backends": ["native", "native-ref"],
        "scenarios": ["single-stream"],
        "bench": {"warmup": 1, "min_queries": 64, "min_duration": 0},
    }
    (tmp_path / "exp.json").write_text(json.dumps(experiment))
    r = cli("run-experiment", tmp_path / "exp.json", cwd=tmp_path)
    assert "4 cells run, 0 failed" in r.stdout and "edgebench-test-password" not in r.stdout
    assert rows(server, "label = 'pg-grid'") == 4
    # The optimized variants went beside the experiment file, not into a folder named after
    # the URL.
    assert (tmp_path / "edgebench-experiments" / "pg-grid").is_dir()
    assert not [p for p in tmp_path.rglob("*") if "postgresql" in p.name]
    r = cli("run-experiment", tmp_path / "exp.json", cwd=tmp_path)
    assert "4 already in postgresql://eb:***@" in r.stdout
    cli("sweep", "conv", "--filters", "4,8", "--layers", 1, "--input", 8, "--db", store,
        "--min-queries", 64, "--min-duration", 0, cwd=tmp_path)
    assert rows(server, "label <> 'pg-grid'") == 2
