"""Shared fixtures of the Python tests: the repository, the package on sys.path, and the Python
target started as a real subprocess on a free loopback port."""

import os
import pathlib
import subprocess
import sys
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))
MODELS = REPO / "models"
# The build whose edgebench (and edgebench._core) the tests use.
BUILD = pathlib.Path(os.environ.get("EDGEBENCH_BUILD_DIR", REPO / "build" / "release"))
if not BUILD.is_absolute():
    BUILD = REPO / BUILD
CLI = BUILD / "edgebench"


def cli(*args, check=True, **kwargs):
    """Runs `edgebench ARGS`; with check, a non-zero exit fails the test with its stderr."""
    r = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, **kwargs)
    if check and r.returncode != 0:
        raise AssertionError(f"edgebench {' '.join(map(str, args))}: {r.returncode}\n{r.stderr}")
    return r


class TargetProcess:
    """`python -m edgebench.target ...` as a child process; reads its "listening on" line."""

    def __init__(self, args, tmp_path):
        env = dict(os.environ, PYTHONPATH=str(REPO / "python"), TMPDIR=str(tmp_path))
        self.tmp = pathlib.Path(tmp_path)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edgebench.target", "--listen", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("edgebench.target listening on "):
            self.proc.kill()
            raise RuntimeError(f"target did not start: {line!r} {self.proc.stderr.read()}")
        self.port = int(line.strip().rsplit(":", 1)[1])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def session_folders(self):
        return [p for p in self.tmp.iterdir() if p.name.startswith("edgebench-target-")]

    def session_folders_remain(self) -> bool:
        for _ in range(200):
            if not self.session_folders():
                return False
            time.sleep(0.01)
        return True

    def stop(self) -> int:
        if self.alive():
            self.proc.terminate()
        try:
            return self.proc.wait(timeout=30)
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()


@pytest.fixture
def start_target(tmp_path):
    started = []

    def start(*args):
        t = TargetProcess(list(args), tmp_path)
        started.append(t)
        return t

    yield start
    for t in started:
        if t.alive():
            t.proc.kill()
            t.proc.wait()
