"""A throwaway PostgreSQL server for the store tests: Debian's initdb and pg_ctl make a cluster
in a fresh folder, listening on 127.0.0.1 on a free port, with password (SCRAM) logins, and
remove it after the tests. PostgreSQL refuses to run as root, so as root the server runs as the
`postgres` user that Debian's package creates (`runuser`)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

USER = "eb"
PASSWORD = "edgebench-test-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            raise RuntimeError("PostgreSQL server programs not found (/usr/lib/postgresql/*/bin): "
                               "`bash scripts/setup.sh` installs Debian's postgresql")
        self.bin = os.path.dirname(bins[-1])
        self.as_user: list[str] = []
        self.folder = tempfile.mkdtemp(prefix="edgebench-pg-")
        os.chmod(self.folder, 0o755)
        self.data = os.path.join(self.folder, "data")
        self.log = os.path.join(self.folder, "server.log")
        os.mkdir(self.data, 0o700)
        password_file = os.path.join(self.folder, "password")
        with open(password_file, "w") as f:
            f.write(PASSWORD + "\n")
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (self.folder, self.data, password_file):
                os.chown(path, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self._run("initdb", "-D", self.data, "-U", USER, "--pwfile", password_file,
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync")
        os.remove(password_file)
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1", "start")
        self.sql("CREATE DATABASE edgebench", database="postgres")

    def _run(self, program, *args):
        r = subprocess.run([*self.as_user, os.path.join(self.bin, program), *args],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            log = open(self.log).read() if os.path.exists(self.log) else ""
            raise RuntimeError(f"{program} failed ({r.returncode}): {r.stderr}{r.stdout}{log}")

    def url(self, database="edgebench", password=PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def sql_command(self, database="edgebench") -> list[str]:
        """psql reading statements from stdin, one connection, stopping at the first error."""
        return ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                str(self.port), "-U", USER, "-d", database]

    def env(self) -> dict:
        return dict(os.environ, PGPASSWORD=PASSWORD)

    def sql(self, statement: str, database="edgebench") -> str:
        r = subprocess.run([*self.sql_command(database), "-c", statement], capture_output=True,
                           text=True, env=self.env(), timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"psql: {statement}: {r.stderr}")
        return r.stdout.strip()

    def stop(self):
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
