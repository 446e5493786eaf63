"""What the protocol tests share: a real `ecs-manager serve` on loopback.

A plain module, not a conftest.py: tools/awssim/tests has its own conftest, and
`make test-python` collects both directories in one run.
"""
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")
BIN = os.environ.get("ECS_BIN_DIR", os.path.join(ROOT, ".build", "debug"))


class Manager:
    """`ecs-manager serve` on 127.0.0.1, a free port, with a fresh token and data directory in `tmp`."""

    def __init__(self, tmp, *args):
        self.token = "tok-" + os.urandom(8).hex()
        tokfile = os.path.join(tmp, "token")
        with open(tokfile, "w") as f:
            f.write(self.token)
        os.chmod(tokfile, 0o600)
        portfile = os.path.join(tmp, "port")
        self.log = open(os.path.join(tmp, "manager.log"), "w")
        self.proc = subprocess.Popen([os.path.join(BIN, "ecs-manager"), "serve", "--listen", "127.0.0.1:0", "--port-file", portfile,
                                      "--data", os.path.join(tmp, "data"), "--token-file", tokfile, *args], stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            if os.path.exists(portfile) and open(portfile).read().strip():
                break
            time.sleep(0.05)
        self.base = "http://127.0.0.1:" + open(portfile).read().strip()

    def call(self, method, path, body=None, token=True, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method.upper())
        if token:
            req.add_header("Authorization", "Bearer " + (self.token if token is True else token))
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, payload = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, payload = e.code, e.read()
        return status, (json.loads(payload) if payload else None)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def secrets_key_file(tmp):
    """A fresh 32-byte key as 64 hex characters in a mode-0600 file, for `serve --secrets-key-file`."""
    path = os.path.join(tmp, "secrets.key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    return path


def start_manager(tmp, *args):
    """A manager in `tmp`, or a clear failure when the binary is not built."""
    if not os.path.exists(os.path.join(BIN, "ecs-manager")):
        pytest.fail(f"ecs-manager not built in {BIN}: run `swift build` first (make test does)")
    return Manager(tmp, *args)
