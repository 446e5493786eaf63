"""Signatures per second for the same ECS DescribeServices request, signed by botocore."""
import os
import time

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

seconds = float(os.environ.get("BENCH_SECONDS", "3"))
creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
body = b'{"cluster":"production","services":["web-frontend","api-backend"],"include":["TAGS"]}'


def one():
    req = AWSRequest(
        method="POST",
        url="https://ecs.us-east-1.amazonaws.com/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.DescribeServices",
            "Content-Length": str(len(body)),
        },
    )
    botocore.auth.SigV4Auth(creds, "ecs", "us-east-1").add_auth(req)
    return req.headers["Authorization"]


# botocore reads the clock itself (no mock: a mock would slow it down).
one()
count = 0
cpu_start = time.thread_time()
start = time.perf_counter()
while time.perf_counter() - start < seconds:
    for _ in range(200):
        one()
    count += 200
elapsed = time.perf_counter() - start
cpu = time.thread_time() - cpu_start
print(f"sigv4-bench botocore: {int(count / elapsed)} signatures/s ({count} in {elapsed:.2f} s wall; {int(count / cpu)} per CPU-second)")
