#!/usr/bin/env python3
"""Pushes a small image into a Docker registry through its HTTP API v2 and prints the manifest's digest.

The demo uses it to fill the local registry it starts (no internet, no docker):
a config blob and one layer made from --content, then an image manifest
(Docker v2 schema 2) under --tag. Pushing the same tag again with other
--content moves the tag to other bits, as a rebuilt image would.

    scripts/registry-push.py --registry http://127.0.0.1:5000 --image library/nginx --tag perl --content "nginx perl build 1"
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request


def request(method, url, body=b"", headers=None, auth=None):
    """Sends one request; returns (status, headers, body). Basic auth when `auth` is (user, password)."""
    req = urllib.request.Request(url, data=body if method in ("POST", "PUT") else None, method=method, headers=headers or {})
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def push_blob(registry, image, data, auth):
    """Uploads `data` as a blob (monolithic POST then PUT with its digest); returns the digest."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, _, _ = request("HEAD", f"{registry}/v2/{image}/blobs/{digest}", auth=auth)
    if status == 200:
        return digest
    status, headers, body = request("POST", f"{registry}/v2/{image}/blobs/uploads/", auth=auth)
    if status != 202:
        sys.exit(f"registry-push: starting a blob upload failed: HTTP {status} {body[:200]!r}")
    location = urllib.parse.urljoin(registry + "/", headers["Location"])
    sep = "&" if "?" in location else "?"
    status, _, body = request("PUT", f"{location}{sep}digest={digest}", data, {"Content-Type": "application/octet-stream"}, auth)
    if status != 201:
        sys.exit(f"registry-push: uploading blob {digest} failed: HTTP {status} {body[:200]!r}")
    return digest


def layer(content):
    """A gzipped tar holding one file, /content.txt (reproducible: fixed times and names)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        data = content.encode()
        info = tarfile.TarInfo("content.txt")
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return raw.getvalue(), out.getvalue()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--registry", required=True, help="e.g. http://127.0.0.1:5000")
    ap.add_argument("--image", required=True, help="repository, e.g. library/nginx")
    ap.add_argument("--tag", required=True)
    ap.add_argument("--content", required=True, help="what the image's one layer holds; other content, other digest")
    ap.add_argument("--user", help="basic auth user (the password is read from REGISTRY_PASSWORD, never argv)")
    args = ap.parse_args()
    auth = None
    if args.user:
        import os
        auth = (args.user, os.environ.get("REGISTRY_PASSWORD", ""))
    registry = args.registry.rstrip("/")

    tar, gz = layer(args.content)
    layer_digest = push_blob(registry, args.image, gz, auth)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["cat", "/content.txt"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
    }, sort_keys=True).encode()
    config_digest = push_blob(registry, args.image, config, auth)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config), "digest": config_digest},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(gz), "digest": layer_digest}],
    }, sort_keys=True, indent=3).encode()
    status, headers, body = request("PUT", f"{registry}/v2/{args.image}/manifests/{args.tag}", manifest,
                                    {"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"}, auth)
    if status != 201:
        sys.exit(f"registry-push: putting the manifest failed: HTTP {status} {body[:200]!r}")
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    if headers.get("Docker-Content-Digest") not in (None, digest):
        sys.exit(f"registry-push: the registry answered digest {headers.get('Docker-Content-Digest')}, expected {digest}")
    print(digest)


if __name__ == "__main__":
    main()
