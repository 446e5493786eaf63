"""Command line: `python3 -m awssim [serve] --port P` and `python3 -m awssim seed --endpoint URL`."""

from __future__ import annotations

import argparse
import json
import sys


def _serve(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python3 -m awssim",
                                description="Local AWS simulator (moto + ECS rollouts + faults).")
    p.add_argument("--port", type=int, required=True, help="TCP port (0 = pick a free one)")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--time-scale", type=float, default=0.05,
                   help="real seconds per simulated ECS second (default 0.05)")
    p.add_argument("--quiet", action="store_true", help="do not log every request on stderr")
    args = p.parse_args(argv)
    if not (0 < args.time_scale <= 100):
        p.error("--time-scale must be in (0, 100]")
    from .server import serve

    if args.quiet:
        import logging

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    serve(args.host, args.port, args.time_scale)
    return 0


def _seed(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python3 -m awssim seed",
                                description="Create the ECS tutorial's world; print ids as JSON.")
    p.add_argument("--endpoint", required=True, help="simulator URL, e.g. http://127.0.0.1:4566")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--cluster", default="ecs-tutorial")
    args = p.parse_args(argv)
    from .seed import seed

    print(json.dumps(seed(args.endpoint, region=args.region, cluster=args.cluster,
                               prefix=args.cluster), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "seed":
        return _seed(argv[1:])
    if argv and argv[0] == "serve":
        argv = argv[1:]
    return _serve(argv)


if __name__ == "__main__":
    sys.exit(main())
