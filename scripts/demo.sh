#!/usr/bin/env bash
# The demo: the tutorial's rolling deployment on the local AWS simulator, through a real manager and delegate.
#   1. start awssim (moto with ECS that rolls out) and seed the tutorial's world (cluster, VPC, ALB);
#   2. start ecs-manager and ecs-delegate on loopback;
#   3. validate the AWS connector, deploy nginx:perl (first deployment), then nginx:stable (an update),
#      following each task's log as the tutorial shows it; then show the delegate's status and snapshots.
# Everything lives under a temporary directory and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
export PATH="/opt/swift/usr/bin:$PATH"

echo "== building (release) =="
swift build -c release --product ecs-manager 2>&1 | tail -1
swift build -c release --product ecs-delegate 2>&1 | tail -1
BIN="$(swift build -c release --show-bin-path)"

WORK="$(mktemp -d /tmp/ecs-delegate-demo.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo files kept in $WORK (awssim.log, manager.log, delegate.log)"
}
trap cleanup EXIT
umask 077

echo "== starting the AWS simulator =="
PYTHONPATH="$ROOT/tools/awssim" python3 -m awssim --port 0 --quiet >"$WORK/awssim.out" 2>"$WORK/awssim.log" &
pids+=($!)
for _ in $(seq 200); do [ -s "$WORK/awssim.out" ] && break; sleep 0.05; done
ENDPOINT="$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["endpoint"])' "$WORK/awssim.out")"
PYTHONPATH="$ROOT/tools/awssim" python3 -m awssim seed --endpoint "$ENDPOINT" >"$WORK/seed.json"
echo "simulator at $ENDPOINT; cluster $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cluster"])' "$WORK/seed.json")"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/token"
"$BIN/ecs-manager" serve --listen 127.0.0.1:0 --port-file "$WORK/port" --data "$WORK/manager-data" --token-file "$WORK/token" >"$WORK/manager.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
MANAGER="http://127.0.0.1:$(cat "$WORK/port")"
cat >"$WORK/delegate.yaml" <<YAML
manager_url: $MANAGER
token_file: $WORK/token
name: demo-delegate
tags: [ecs, demo]
capacity: 4
state_dir: $WORK/delegate-state
status_socket: $WORK/status.sock
log_level: info
YAML
"$BIN/ecs-delegate" run --config "$WORK/delegate.yaml" >"$WORK/delegate.log" 2>&1 &
pids+=($!)
M=(--manager "$MANAGER" --token-file "$WORK/token")
for _ in $(seq 200); do "$BIN/ecs-manager" delegates "${M[@]}" 2>/dev/null | grep -q connected && break; sleep 0.05; done
"$BIN/ecs-manager" delegates "${M[@]}"

# The connector: region, the simulator's endpoint, static test keys (the manager keeps connectors in memory only).
cat >"$WORK/connector.json" <<JSON
{"aws": {"region": "us-east-1", "endpoint": "$ENDPOINT",
         "credentials": {"kind": "static", "accessKeyId": "AKIDDEMO", "secretAccessKey": "demo-secret-key"}}}
JSON

payload() {  # payload IMAGE: the tutorial's manifests, verbatim but for the user's placeholders
  python3 - "$1" "$WORK/seed.json" "$ROOT/Tests/ManifestsTests/Fixtures" <<'PY'
import json, sys
image, seed, fixtures = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
def ref(name, ident):
    text = open(f"{fixtures}/{name}").read()
    text = (text.replace("<ecsInstanceRole Role ARN>", "arn:aws:iam::123456789012:role/ecsInstanceRole")
                .replace("<Security Group Id>", seed["securityGroupId"]).replace("<Subnet Id>", seed["subnets"][0]))
    return {"store": "inline", "identifier": ident, "path": f"account:/ECS Tutorial/{name}", "content": text}
print(json.dumps({"cluster": seed["cluster"], "variables": {"artifact": {"image": image}},
                  "manifests": {"taskDefinition": ref("RegisterTaskDefinitionRequest.yaml", "task def"),
                                "serviceDefinition": ref("CreateServiceRequest.yaml", "service def"),
                                "scalableTargets": [ref("ScalableTarget.yaml", "scalable target")],
                                "scalingPolicies": [ref("ScalingPolicy.yaml", "scaling policy")]}}))
PY
}

echo
echo "== aws.validate: does the connector work? =="
echo '{}' | "$BIN/ecs-manager" submit "${M[@]}" --type aws.validate --selector ecs --connector "$WORK/connector.json" --payload - --follow

echo
echo "== ecs.rolling.deploy nginx:perl (first deployment) =="
payload nginx:perl | "$BIN/ecs-manager" submit "${M[@]}" --type ecs.rolling.deploy --selector ecs \
  --connector "$WORK/connector.json" --execution-id demo-run-1 --payload - --follow

echo
echo "== ecs.rolling.deploy nginx:stable (update of the running service) =="
payload nginx:stable | "$BIN/ecs-manager" submit "${M[@]}" --type ecs.rolling.deploy --selector ecs \
  --connector "$WORK/connector.json" --execution-id demo-run-2 --payload - --follow

echo
echo "== the manager's view =="
"$BIN/ecs-manager" tasks "${M[@]}"
echo
echo "== the delegate's status socket =="
"$BIN/ecs-delegate" status --socket "$WORK/status.sock"
echo
"$BIN/ecs-delegate" snapshots --socket "$WORK/status.sock"
