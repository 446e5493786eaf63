#!/usr/bin/env python3
"""Where the milliseconds of one dispatch go (issue 16, item 6): a timeline from the two processes' system calls.

Starts a release-built manager and delegate (fleet.py), attaches `strace -f
-ttt` to both, dispatches `--tasks` one-line echo tasks one at a time exactly as
runtime_bench.py does (submit, then a log follow), and reconstructs each
dispatch from what the processes read and wrote:

  submit     the manager reads `POST /v1/tasks` .. writes `201 Created`
  to lease   the manager reads `POST /v1/tasks` .. writes the parked poll's answer (notify, lease)
  deliver    .. the delegate's curl thread receives it
  delegate   .. the delegate sends `POST /v1/tasks/ID/logs` (journal write, run, spool, ship)
  transfer   .. the manager reads that request
  store+wake .. the manager writes the follow's answer (lines stored, follow woken)

It also counts the SQLite WAL commits of each process per dispatch (a commit
writes frames with `pwrite64` to the -wal file). strace slows every system call
(tens of microseconds each), so the stages add up to more than an untraced
dispatch: read them as shares, beside the untraced p50 printed with them.
Prints JSON (medians, p90 and max per stage, in ms); asserts nothing.

Usage: python3 Benchmarks/dispatch_profile.py [--tasks 50] [--bin DIR]
(KEEP_TRACE=1 keeps the strace output and prints its path.)
"""
import argparse
import codecs
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from fleet import Fleet

LINE = re.compile(r'^(\d+)\s+(\d+\.\d+)\s+(\w+)\((\d+),\s*(.*)$')
RESUMED = re.compile(r'^(\d+)\s+(\d+\.\d+)\s+<\.\.\. (\w+) resumed>(.*)$')


def parse(path):
    """(time, tid, syscall, fd, text) of each finished call, unfinished ones joined with their resumption."""
    pending = {}
    out = []
    with open(path, errors="replace") as f:
        for raw in f:
            m = LINE.match(raw)
            if m:
                tid, ts, call, fd, rest = m.groups()
                if rest.endswith("<unfinished ...>"):
                    pending[tid] = (float(ts), call, int(fd), rest)
                    continue
                out.append((float(ts), int(tid), call, int(fd), rest))
                continue
            m = RESUMED.match(raw)
            if m and m.group(1) in pending:
                ts0, call, fd, rest = pending.pop(m.group(1))
                out.append((float(m.group(2)), int(m.group(1)), call, fd, rest + m.group(4)))
    return out


def stages(events, manager_tids, delegate_tids, task_ids):
    """Per task: the timestamps of each step, found by what was read and written."""
    out = {}
    follow_fd = {}
    poll_fds = set()
    for ts, tid, call, fd, text in events:
        if tid in manager_tids and call == "read" and "GET /v1/delegates/" in text and "/tasks/next" in text:
            poll_fds.add(fd)
    for task in task_ids:
        out[task] = {}
    current = None
    for ts, tid, call, fd, text in events:
        if tid in manager_tids and call == "read" and text.startswith('"POST /v1/tasks HTTP'):
            current = {"submitRead": ts, "fd": fd}
            continue
        if current is not None and tid in manager_tids and call == "writev" and fd == current["fd"] and "201 Created" in text:
            current["submitAnswered"] = ts
            continue
        if current is not None and tid in manager_tids and call == "writev" and fd in poll_fds and "task-" in text and "leaseAnswered" not in current:
            current["leaseAnswered"] = ts
            continue
        if current is not None and tid in delegate_tids and call == "recvfrom" and "leaseId" in text and "deliveredAt" not in current:
            current["deliveredAt"] = ts
            continue
        m = re.search(r'POST /v1/tasks/(task-[0-9a-f-]+)/logs', text)
        if m and tid in delegate_tids and call == "sendto" and m.group(1) in out and "shipped" not in out[m.group(1)]:
            if current is not None:
                out[m.group(1)].update(current)
                current = None
            out[m.group(1)]["shipped"] = ts
            continue
        if m and tid in manager_tids and call == "read" and m.group(1) in out and "logsRead" not in out[m.group(1)]:
            out[m.group(1)]["logsRead"] = ts
            continue
        m = re.search(r'GET /v1/tasks/(task-[0-9a-f-]+)/logs', text)
        if m and tid in manager_tids and call == "read" and m.group(1) in out:
            follow_fd[fd] = m.group(1)
            continue
        if tid in manager_tids and call == "writev" and fd in follow_fd and "200 OK" in text:
            task = follow_fd.pop(fd)
            out[task].setdefault("followAnswered", ts)
    return out


def commits(events, tids, start, end):
    """WAL commits by these threads between two times: a WAL frame header (24 bytes) names the database size only on a commit."""
    n = 0
    for ts, tid, call, fd, text in events:
        if tid in tids and start <= ts <= end and call == "pwrite64" and ", 24, " in text and text.startswith('"'):
            header = codecs.escape_decode(text[1:text.index('", 24, ')])[0]
            if len(header) == 24 and header[4:8] != b"\0\0\0\0":
                n += 1
    return n


def tids_of(pid):
    return {int(t) for t in os.listdir(f"/proc/{pid}/task")}


def summary(values):
    if not values:
        return None
    s = sorted(values)
    return {"p50": round(statistics.median(s), 3), "p90": round(s[int(0.9 * (len(s) - 1))], 3), "max": round(s[-1], 3)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=50)
    ap.add_argument("--bin", default=None)
    args = ap.parse_args()
    trace = tempfile.NamedTemporaryFile(prefix="dispatch-strace-", suffix=".txt", delete=False).name
    with Fleet(tags=["bench"], bindir=args.bin) as f:
        time.sleep(1.0)
        untraced = []
        for _ in range(args.tasks):
            t0 = time.perf_counter()
            t = f.call("POST", "/v1/tasks", {"type": "delegate.echo", "selectors": ["bench"], "payload": {"count": 1}})
            f.call("GET", f"/v1/tasks/{t['taskId']}/logs?after=0&wait=10")
            untraced.append((time.perf_counter() - t0) * 1000)
        manager, delegate = f.procs[0].pid, f.delegate.pid
        st = subprocess.Popen(["strace", "-f", "-ttt", "-s", "160", "-o", trace,
                               "-e", "trace=read,write,writev,sendto,recvfrom,pwrite64",
                               "-p", str(manager), "-p", str(delegate)], stderr=subprocess.DEVNULL)
        f.own(st)
        time.sleep(1.5)
        ids, totals = [], []
        for _ in range(args.tasks):
            t0 = time.perf_counter()
            t = f.call("POST", "/v1/tasks", {"type": "delegate.echo", "selectors": ["bench"], "payload": {"count": 1}})
            while not f.call("GET", f"/v1/tasks/{t['taskId']}/logs?after=0&wait=10")["lines"]:
                pass
            totals.append((time.perf_counter() - t0) * 1000)
            ids.append(t["taskId"])
            time.sleep(0.05)  # one dispatch at a time, nothing else in flight
        time.sleep(0.5)
        m_tids, d_tids = tids_of(manager), tids_of(delegate)
        st.send_signal(signal.SIGINT)
        st.wait(timeout=20)
    events = parse(trace)
    if not os.environ.get("KEEP_TRACE"):
        os.unlink(trace)
    else:
        print(trace, file=sys.stderr)
    found = stages(events, m_tids, d_tids, ids)
    keys = [("submit", "submitRead", "submitAnswered"), ("to lease", "submitRead", "leaseAnswered"),
            ("deliver", "leaseAnswered", "deliveredAt"), ("delegate", "deliveredAt", "shipped"),
            ("transfer", "shipped", "logsRead"), ("store+wake", "logsRead", "followAnswered"),
            ("whole (server side)", "submitRead", "followAnswered")]
    table, complete = {}, [s for s in found.values() if all(k in s for k in ("submitRead", "submitAnswered", "leaseAnswered", "deliveredAt", "shipped", "logsRead", "followAnswered"))]
    for name, a, b in keys:
        table[name] = summary([(s[b] - s[a]) * 1000 for s in complete])
    mc = [commits(events, m_tids, s["submitRead"], s["followAnswered"]) for s in complete]
    dc = [commits(events, d_tids, s["deliveredAt"], s["shipped"]) for s in complete]
    print(json.dumps({
        "tasks": args.tasks,
        "dispatches_reconstructed": len(complete),
        "untraced_dispatch_ms": summary(untraced),
        "traced_dispatch_ms": summary(totals),
        "stages_ms_traced": table,
        "sqlite_commits_per_dispatch": {"manager": summary(mc), "delegate_before_ship": summary(dc)},
        "load_average_1min": round(os.getloadavg()[0], 2),
    }, indent=2))


if __name__ == "__main__":
    sys.exit(main())
