"""A throwaway single-node Slurm cluster for the --slurm tests: munged with its own key and
socket, slurmctld and slurmd from Debian's packages, on free local ports, all state in a fresh
folder. Slurm's daemons need root: as another user they run through passwordless sudo, and
without it the cluster does not start (the tests fail and say so; they are never skipped)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

from postgres_server import free_port


class SlurmCluster:
    def __init__(self):
        for program in ("munged", "slurmctld", "slurmd", "sbatch", "squeue"):
            if shutil.which(program) is None and not os.path.exists(f"/usr/sbin/{program}"):
                raise RuntimeError(f"NOT RUN: {program} is missing: `bash scripts/setup.sh` "
                                   "installs Debian's slurmd, slurmctld, slurm-client and munge")
        self.sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        if self.sudo and subprocess.run(["sudo", "-n", "true"]).returncode != 0:
            raise RuntimeError("NOT RUN: Slurm's daemons need root (or passwordless sudo)")
        self.folder = tempfile.mkdtemp(prefix="edgebench-slurm-")
        os.chmod(self.folder, 0o755)
        f = self.folder
        for sub in ("state", "spool"):
            os.mkdir(os.path.join(f, sub))
        with open(os.path.join(f, "munge.key"), "wb") as key:
            key.write(os.urandom(1024))
        os.chmod(os.path.join(f, "munge.key"), 0o400)
        self.socket = os.path.join(f, "munge.sock")
        self.node = socket.gethostname().split(".")[0]
        self.conf = os.path.join(f, "slurm.conf")
        with open(self.conf, "w") as conf:
            conf.write(self.config(free_port()))
        self._run("/usr/sbin/munged", "--force", f"--socket={self.socket}",
                  f"--key-file={f}/munge.key", f"--pid-file={f}/munged.pid",
                  f"--log-file={f}/munged.log", f"--seed-file={f}/munged.seed")
        self._run("/usr/sbin/slurmctld", "-f", self.conf)
        self._run("/usr/sbin/slurmd", "-f", self.conf)
        # Ready when the node is idle.
        for _ in range(300):
            r = subprocess.run(["sinfo", "--noheader", "--format=%t"], capture_output=True,
                               text=True, env=self.env())
            if r.returncode == 0 and r.stdout.strip() == "idle":
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the Slurm node never became idle: {r.stdout}{r.stderr}")

    def config(self, controller_port: int) -> str:
        f = self.folder
        return f"""ClusterName=edgebench-test
SlurmctldHost={self.node}(127.0.0.1)
AuthType=auth/munge
AuthInfo=socket={self.socket}
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort={controller_port}
SlurmdPort={free_port()}
StateSaveLocation={f}/state
SlurmdSpoolDir={f}/spool
SlurmctldPidFile={f}/slurmctld.pid
SlurmdPidFile={f}/slurmd.pid
SlurmctldLogFile={f}/slurmctld.log
SlurmdLogFile={f}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
Licenses=board_a:1
NodeName={self.node} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} State=UNKNOWN
PartitionName=edge Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
"""

    def _run(self, *argv):
        r = subprocess.run([*self.sudo, *argv], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed ({r.returncode}): {r.stderr}{r.stdout}")

    def env(self, **extra) -> dict:
        return dict(os.environ, SLURM_CONF=self.conf, **extra)

    def down_env(self, folder: str) -> dict:
        """An environment whose Slurm controller does not answer (a port nothing listens on)."""
        path = os.path.join(folder, "down.conf")
        with open(path, "w") as conf:
            conf.write(self.config(free_port()))
        return dict(os.environ, SLURM_CONF=path)

    def stop(self):
        subprocess.run([*self.sudo, "scontrol", "shutdown"], env=self.env(), capture_output=True,
                       timeout=60)
        for name in ("slurmd", "slurmctld"):
            try:
                pid = int(open(os.path.join(self.folder, f"{name}.pid")).read())
            except (OSError, ValueError):
                continue
            for _ in range(100):
                if not os.path.exists(f"/proc/{pid}"):
                    break
                time.sleep(0.1)
            else:
                subprocess.run([*self.sudo, "kill", "-9", str(pid)], capture_output=True)
        subprocess.run([*self.sudo, "/usr/sbin/munged", "--stop", f"--socket={self.socket}"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)
