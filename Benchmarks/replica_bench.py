#!/usr/bin/env python3
"""The manager on PostgreSQL with two replicas (issue 14): dispatch latency and a 1,000-task run. Prints figures; asserts nothing but exactly-once.

    python3 Benchmarks/replica_bench.py [--bindir .build/release] [--tasks 1000] [--samples 200] [--json FILE]

Starts a PostgreSQL server of its own (Debian's postgresql package: initdb and
postgres run as the postgres user, on 127.0.0.1 and a free port, in a temporary
directory removed at the end), then measures:

1. dispatch latency: submit a one-line echo task, then follow its log with a long
   poll until the line is there (submit -> long poll woken -> lease -> run ->
   line shipped -> follower woken). Three set-ups, `--samples` tasks each, one at
   a time: SQLite (one manager), PostgreSQL with one replica, and PostgreSQL
   with two replicas where the task is submitted to and followed on replica A
   while the delegate is parked on replica B, so both wake-ups cross replicas
   through LISTEN/NOTIFY.
2. two replicas, two delegates (one on each), `--tasks` echo tasks submitted
   alternately to A and B: wall time, throughput, and a check that each ran once
   (the delegates' task counters add up to the number of tasks).
"""
import argparse
import csv
import io
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fleet import http, release_bin_dir, stop_all  # noqa: E402

PGBIN = "/usr/lib/postgresql/15/bin"
AS_POSTGRES = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway PostgreSQL cluster on loopback; the password only in a 0600 file and the child's environment."""

    def __init__(self, work):
        self.dir = os.path.join(work, "pg")
        os.makedirs(self.dir + "/data")
        os.makedirs(self.dir + "/socket")
        self.password = os.urandom(16).hex()
        self.password_file = os.path.join(work, "db-password")
        with open(self.password_file, "w") as f:
            f.write(self.password + "\n")
        os.chmod(self.password_file, 0o600)
        pw = os.path.join(self.dir, "initpw")
        with open(pw, "w") as f:
            f.write(self.password + "\n")
        pg = pwd.getpwnam("postgres")
        for p in [self.dir + "/data", self.dir + "/socket", pw]:
            os.chown(p, pg.pw_uid, pg.pw_gid)
        os.chmod(work, 0o755)
        os.chmod(self.dir, 0o755)
        subprocess.run(AS_POSTGRES + [PGBIN + "/initdb", "-D", self.dir + "/data", "-U", "ecs", "--pwfile=" + pw, "--auth=scram-sha-256",
                                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"],
                       check=True, cwd=self.dir, stdout=subprocess.DEVNULL)
        os.remove(pw)
        self.port = free_port()
        self.proc = subprocess.Popen(AS_POSTGRES + [PGBIN + "/postgres", "-D", self.dir + "/data", "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
                                                    "-c", "unix_socket_directories=" + self.dir + "/socket", "-c", "max_connections=200"],
                                     cwd=self.dir, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "postgres.log"), "w"))
        for _ in range(600):
            if subprocess.run([PGBIN + "/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)]).returncode == 0:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("postgres did not start; see postgres.log")
        self.databases = 0

    def create_database(self):
        self.databases += 1
        name = f"bench_{self.databases}"
        subprocess.run([PGBIN + "/psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "ecs", "-d", "postgres", "-c", f"CREATE DATABASE {name}"],
                       check=True, env=dict(os.environ, PGPASSWORD=self.password))
        return f"postgres://ecs@127.0.0.1:{self.port}/{name}?sslmode=disable"

    def query(self, database_url, sql, timeout=120):
        """Rows of `sql` on the database of `database_url` (from create_database), each a list of strings (CSV through psql)."""
        name = database_url.rsplit("/", 1)[1].split("?")[0]
        out = subprocess.run([PGBIN + "/psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "ecs", "-d", name,
                              "-c", f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"],
                             check=True, capture_output=True, text=True, timeout=timeout, env=dict(os.environ, PGPASSWORD=self.password)).stdout
        return list(csv.reader(io.StringIO(out)))

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Processes:
    """Managers and delegates of one set-up, stopped together."""

    def __init__(self, bindir, work, token_file):
        self.bindir, self.work, self.token_file = bindir, work, token_file
        self.procs = []
        self.token = open(token_file).read().strip()

    def own(self, proc):
        """Stops `proc` with the others (the simulator's helper calls this)."""
        self.procs.append(proc)
        return proc

    def manager(self, name, storage):
        portfile = os.path.join(self.work, name + ".port")
        self.procs.append(subprocess.Popen([os.path.join(self.bindir, "ecs-manager"), "serve", "--listen", "127.0.0.1:0", "--port-file", portfile,
                                            "--token-file", self.token_file, "--log-level", "warning"] + storage,
                                           stdout=open(os.path.join(self.work, name + ".log"), "w"), stderr=subprocess.STDOUT))
        for _ in range(600):
            if os.path.exists(portfile) and open(portfile).read().strip():
                return "http://127.0.0.1:" + open(portfile).read().strip()
            time.sleep(0.05)
        raise RuntimeError(f"{name} did not start; see {self.work}/{name}.log")

    def delegate(self, name, url, capacity=8):
        cfg = os.path.join(self.work, name + ".yaml")
        with open(cfg, "w") as f:
            f.write(f"manager_url: {url}\ntoken_file: {self.token_file}\nname: {name}\ntags: [bench]\ncapacity: {capacity}\n"
                    f"state_dir: {self.work}/{name}-state\nstatus_socket: {self.work}/{name}.sock\nlog_level: warning\n")
        self.procs.append(subprocess.Popen([os.path.join(self.bindir, "ecs-delegate"), "run", "--config", cfg],
                                           stdout=open(os.path.join(self.work, name + ".log"), "w"), stderr=subprocess.STDOUT))
        for _ in range(400):
            if any(d["name"] == name and d["state"] == "connected" for d in http("GET", url + "/v1/delegates", token=self.token)):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{name} did not connect; see {self.work}/{name}.log")

    def tasks_succeeded(self, name):
        out = subprocess.run(["curl", "-s", "--unix-socket", f"{self.work}/{name}.sock", "http://localhost/metrics"], capture_output=True, text=True).stdout
        # One line per task type: the sum over them.
        return sum(int(float(line.split()[-1])) for line in out.splitlines()
                   if line.startswith("ecs_delegate_tasks_total{") and 'outcome="succeeded"' in line)

    def stop(self):
        stop_all(self.procs)
        self.procs = []


def dispatch(submit_url, follow_url, token, samples):
    """Milliseconds from submit to the task's first line seen by a log follower, one task at a time."""
    out = []
    for _ in range(samples):
        start = time.perf_counter()
        task = http("POST", submit_url + "/v1/tasks", {"type": "delegate.echo", "selectors": ["bench"], "payload": {"count": 1}}, token=token)
        page = http("GET", f"{follow_url}/v1/tasks/{task['taskId']}/logs?after=0&wait=30", token=token)
        if not page or not page.get("lines"):
            raise RuntimeError(f"no line within 30 s for {task['taskId']}")
        out.append((time.perf_counter() - start) * 1000)
    return out


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def summary(name, values):
    return {"setup": name, "samples": len(values), "p50_ms": round(pct(values, 50), 2), "p90_ms": round(pct(values, 90), 2),
            "p99_ms": round(pct(values, 99), 2), "max_ms": round(max(values), 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bindir", help="where ecs-manager and ecs-delegate are (default: the release build)")
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    if not (1 <= args.tasks <= 100_000 and 1 <= args.samples <= 10_000):
        ap.error("--tasks 1 to 100000, --samples 1 to 10000")
    bindir = args.bindir or release_bin_dir()
    work = tempfile.mkdtemp(prefix="ecsd-replica-bench-")
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as f:
        f.write(os.urandom(16).hex())
    os.chmod(token_file, 0o600)
    pg = None
    results = {"dispatch": [], "run": None}
    try:
        pg = Postgres(work)
        database = lambda: ["--database", pg.create_database(), "--database-password-file", pg.password_file]

        # 1. Dispatch latency.
        setups = [("sqlite, one manager", [["--data", os.path.join(work, "sqlite")]], 0, 0),
                  ("postgres, one replica", [database()], 0, 0)]
        db = database()
        setups.append(("postgres, two replicas (submit and follow on A, delegate on B)", [db, db], 0, 1))
        for name, storages, submit_on, delegate_on in setups:
            procs = Processes(bindir, work, token_file)
            try:
                urls = [procs.manager(f"m{i}-{len(results['dispatch'])}", s) for i, s in enumerate(storages)]
                procs.delegate(f"d-{len(results['dispatch'])}", urls[delegate_on])
                dispatch(urls[submit_on], urls[submit_on], procs.token, 10)  # warm-up
                values = dispatch(urls[submit_on], urls[submit_on], procs.token, args.samples)
                row = summary(name, values)
                results["dispatch"].append(row)
                print(f"dispatch, {name}: p50 {row['p50_ms']} ms, p90 {row['p90_ms']} ms, p99 {row['p99_ms']} ms, max {row['max_ms']} ms ({args.samples} tasks)")
            finally:
                procs.stop()

        # 2. Two replicas, two delegates, tasks submitted alternately.
        procs = Processes(bindir, work, token_file)
        try:
            db = database()
            a, b = procs.manager("run-a", db), procs.manager("run-b", db)
            procs.delegate("run-d1", a)
            procs.delegate("run-d2", b)
            ids = []
            lock = threading.Lock()
            start = time.perf_counter()

            def submit(urls, n):
                for i in range(n):
                    t = http("POST", urls[i % 2] + "/v1/tasks", {"type": "delegate.echo", "selectors": ["bench"], "payload": {"count": 1}}, token=procs.token)
                    with lock:
                        ids.append(t["taskId"])
            threads = [threading.Thread(target=submit, args=([a, b] if k % 2 == 0 else [b, a], args.tasks // 4 + (1 if k < args.tasks % 4 else 0)))
                       for k in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            pending = set(ids)
            deadline = time.time() + 600
            while pending and time.time() < deadline:
                for task in http("GET", a + f"/v1/tasks?limit={min(len(ids), 1000)}", token=procs.token) or []:
                    if task["taskId"] in pending and task["state"] in ("succeeded", "failed", "cancelled"):
                        if task["state"] != "succeeded":
                            raise RuntimeError(f"{task['taskId']} ended {task['state']}")
                        pending.discard(task["taskId"])
                if pending:
                    time.sleep(0.1)
            elapsed = time.perf_counter() - start
            if pending:
                raise RuntimeError(f"{len(pending)} tasks did not finish within 600 s")
            ran = (procs.tasks_succeeded("run-d1"), procs.tasks_succeeded("run-d2"))
            results["run"] = {"tasks": len(ids), "seconds": round(elapsed, 2), "tasks_per_second": round(len(ids) / elapsed, 1),
                              "delegate_1_ran": ran[0], "delegate_2_ran": ran[1], "exactly_once": ran[0] + ran[1] == len(ids)}
            print(f"two replicas, two delegates: {len(ids)} echo tasks submitted alternately (4 submitters) all succeeded in {elapsed:.2f} s "
                  f"({len(ids) / elapsed:.0f} tasks/s); delegate 1 ran {ran[0]}, delegate 2 ran {ran[1]}: "
                  f"{'each ran exactly once' if ran[0] + ran[1] == len(ids) else 'MISMATCH'}")
        finally:
            procs.stop()
        single = next(r for r in results["dispatch"] if r["setup"].startswith("postgres, one"))
        crossed = results["dispatch"][-1]
        print(f"dispatch p99 through the other replica / single replica: {crossed['p99_ms'] / single['p99_ms']:.2f}x")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=2)
        return 0 if results["run"]["exactly_once"] else 1
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
