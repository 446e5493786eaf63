#!/usr/bin/env python3
"""What a stored token costs per request: the bootstrap key against an API key and a delegate token.

Starts `ecs-manager serve` on loopback (debug build unless --bin), creates an
API key (scope read) and a delegate token, registers a delegate with the
token, then times N calls over one keep-alive connection each:
GET /v1/tasks?limit=1 with the bootstrap key and with the API key, and
delegate heartbeats with the bootstrap key and with the delegate token (the
ownership check reads delegateTokens too). Prints JSON with the mean
microseconds per call. Asserts nothing.

Usage: python3 Benchmarks/auth_bench.py [--calls 2000] [--bin DIR]
"""
import argparse
import http.client
import json
import os
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "debug"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        token = "boot-" + os.urandom(16).hex()
        tokfile = os.path.join(tmp, "token")
        fd = os.open(tokfile, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, token.encode())
        os.close(fd)
        portfile = os.path.join(tmp, "port")
        proc = subprocess.Popen([os.path.join(args.bin, "ecs-manager"), "serve", "--listen", "127.0.0.1:0", "--port-file", portfile,
                                 "--data", os.path.join(tmp, "data"), "--token-file", tokfile],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 20
            while not (os.path.exists(portfile) and open(portfile).read().strip()):
                if time.time() > deadline:
                    raise SystemExit("manager did not start")
                time.sleep(0.05)
            port = int(open(portfile).read())
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

            def call(method, path, tok, body=None):
                data = json.dumps(body).encode() if body is not None else None
                headers = {"Authorization": "Bearer " + tok}
                if data is not None:
                    headers["Content-Type"] = "application/json"
                conn.request(method, path, body=data, headers=headers)
                r = conn.getresponse()
                payload = r.read()
                if r.status >= 300:
                    raise SystemExit(f"{method} {path}: {r.status} {payload[:200]!r}")
                return json.loads(payload) if payload else None

            key = call("POST", "/v1/tokens", token, {"name": "reader", "kind": "api", "scope": "read"})["token"]
            dtok = call("POST", "/v1/tokens", token, {"name": "fleet", "kind": "delegate"})["token"]
            reg = {"name": "d", "hostname": "h", "version": "0", "tags": [], "capacity": 1, "taskTypes": ["delegate.echo"],
                   "instanceId": "bench", "protocolVersion": 1}
            did = call("POST", "/v1/delegates/register", dtok, reg)["delegateId"]
            hb = {"running": [], "freeCapacity": 1, "status": "active"}

            def timed(method, path, tok, body=None):
                for _ in range(50):
                    call(method, path, tok, body)
                start = time.perf_counter()
                for _ in range(args.calls):
                    call(method, path, tok, body)
                return round((time.perf_counter() - start) / args.calls * 1e6, 1)

            print(json.dumps({
                "calls": args.calls,
                "binary": args.bin,
                "us_per_call": {
                    "GET /v1/tasks bootstrap key": timed("GET", "/v1/tasks?limit=1", token),
                    "GET /v1/tasks API key (read)": timed("GET", "/v1/tasks?limit=1", key),
                    "POST heartbeat bootstrap key": timed("POST", f"/v1/delegates/{did}/heartbeat", token, hb),
                    "POST heartbeat delegate token": timed("POST", f"/v1/delegates/{did}/heartbeat", dtok, hb),
                },
            }, indent=2))
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
