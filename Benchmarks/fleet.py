"""A release-built ecs-manager and ecs-delegate on loopback, for the benchmark scripts.

    with Fleet(tags=["bench"]) as f:
        f.call("POST", "/v1/tasks", {...})

Starts both in a temporary directory (token file 0600, manager on a free
port, delegate connected before the block runs) and stops them with SIGTERM
(SIGKILL after 20 s) when the block ends, along with any process passed to
`own()`. `delegate_wrapper` runs the delegate under a profiler
(`["heaptrack", "-o", "/tmp/d"]`); `delegate_pid()` is then the delegate's own
process, not the wrapper's.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def http(method, url, body=None, token=None, timeout=60):
    """One JSON call; returns the decoded answer (None for an empty body)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def release_bin_dir():
    return subprocess.check_output(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, text=True).strip()


def stop_all(procs):
    """SIGTERM to each process, newest first; waits up to 20 s for each, then kills it."""
    for p in reversed(procs):
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


class Fleet:
    def __init__(self, tags, bindir=None, capacity=4, delegate_wrapper=()):
        self.tags = tags
        self.delegate_wrapper = list(delegate_wrapper)
        self.capacity = capacity
        self.bindir = bindir or release_bin_dir()
        self.work = tempfile.mkdtemp(prefix="ecsd-bench-")
        self.procs = []
        self.token = os.urandom(16).hex()

    def own(self, proc):
        """Stops `proc` with the fleet."""
        self.procs.append(proc)
        return proc

    def call(self, method, path, body=None, timeout=60):
        return http(method, self.base + path, body, token=self.token, timeout=timeout)

    def __enter__(self):
        try:
            tokfile = os.path.join(self.work, "token")
            with open(tokfile, "w") as f:
                f.write(self.token)
            os.chmod(tokfile, 0o600)
            portfile = os.path.join(self.work, "port")
            log = lambda name: open(os.path.join(self.work, name), "w")
            self.own(subprocess.Popen([os.path.join(self.bindir, "ecs-manager"), "serve", "--listen", "127.0.0.1:0", "--port-file", portfile,
                                       "--data", os.path.join(self.work, "manager-data"), "--token-file", tokfile, "--log-level", "warning"],
                                      stdout=log("manager.log"), stderr=subprocess.STDOUT))
            for _ in range(200):
                if os.path.exists(portfile) and open(portfile).read().strip():
                    break
                time.sleep(0.05)
            self.base = "http://127.0.0.1:" + open(portfile).read().strip()
            cfg = os.path.join(self.work, "delegate.yaml")
            with open(cfg, "w") as f:
                f.write(f"manager_url: {self.base}\ntoken_file: {tokfile}\nname: bench\ntags: [{', '.join(self.tags)}]\ncapacity: {self.capacity}\n"
                        f"state_dir: {self.work}/delegate-state\nstatus_socket: {self.work}/status.sock\nlog_level: warning\n")
            started = time.perf_counter()
            self.delegate = self.own(subprocess.Popen(self.delegate_wrapper + [os.path.join(self.bindir, "ecs-delegate"), "run", "--config", cfg],
                                                      stdout=log("delegate.log"), stderr=subprocess.STDOUT))
            for _ in range(1000):
                if any(d["state"] == "connected" for d in self.call("GET", "/v1/delegates")):
                    # Start-up to registered, to within the 10 ms poll.
                    self.delegate_start_seconds = time.perf_counter() - started
                    return self
                time.sleep(0.01)
            raise RuntimeError(f"the delegate did not connect; see {self.work}/delegate.log")
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def delegate_pid(self):
        """The ecs-delegate process: the one started, or the wrapper's descendant of that name."""
        if not self.delegate_wrapper:
            return self.delegate.pid
        todo = [self.delegate.pid]
        while todo:
            pid = todo.pop()
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() == "ecs-delegate":
                        return pid
                with open(f"/proc/{pid}/task/{pid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
            except OSError:
                pass
        return self.delegate.pid

    def __exit__(self, *exc):
        if self.delegate_wrapper:
            # The wrapper may not pass signals on: stop the delegate itself, so it drains and the profiler writes its data.
            pid = self.delegate_pid()
            if pid != self.delegate.pid:
                try:
                    os.kill(pid, signal.SIGTERM)
                    self.delegate.wait(timeout=60)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        stop_all(self.procs)
        shutil.rmtree(self.work, ignore_errors=True)
        return False
