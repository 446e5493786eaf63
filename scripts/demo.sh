#!/usr/bin/env bash
# The demo: the ECS tutorial as a story, on the local AWS simulator, through a real manager and delegate.
#   1. build (release), start awssim (moto with ECS that rolls out) and seed the tutorial's world (cluster, VPC, ALB);
#      start Debian's docker-registry on loopback and push the tutorial's library/nginx tags into it;
#   2. start ecs-manager (with a secrets key) and an ecs-delegate tagged [ecs, demo] on loopback;
#   3. store the AWS keys as secrets and a connector that uses them, and the registry's connector; test both;
#   4. run the example pipelines from Config/examples/pipelines, the image pinned to its digest: a first rolling
#      deployment, an update, a broken image that fails and is rolled back automatically, then a blue/green held between
#      create and swap (verified through the stage listener, approved with ecs-manager approve), and a release that answers
#      500: its check fails and it is rolled back while prod keeps serving the previous version;
#   5. show the executions, the delegate's status and its rollback snapshots.
# Everything lives under a temporary directory and is stopped on exit and on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
started=$(date +%s)

say() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

say "building ecs-manager and ecs-delegate (release)"
echo "A first release build takes about 9 minutes on 2 cores; later runs take seconds. Progress:"
build() {  # prints one progress line in 40, and the last
  swift build -c release --product "$1" 2>&1 | awk '/^\[[0-9]+\/[0-9]+\]/ { n++; if (n % 40 == 1) print "  " $0; last = $0; next } { print "  " $0 }'
}
build ecs-manager
build ecs-delegate
BIN="$(swift build -c release --show-bin-path)"

WORK="$(mktemp -d /tmp/ecs-delegate-demo.XXXXXX)"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo files kept in $WORK (awssim.log, registry.log, manager.log, delegate.log)"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM
umask 077

say "starting the AWS simulator and seeding the tutorial's world"
PYTHONPATH="$ROOT/tools/awssim" python3 -m awssim --port 0 --quiet >"$WORK/awssim.out" 2>"$WORK/awssim.log" &
pids+=($!)
for _ in $(seq 200); do [ -s "$WORK/awssim.out" ] && break; sleep 0.05; done
ENDPOINT="$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["endpoint"])' "$WORK/awssim.out")"
PYTHONPATH="$ROOT/tools/awssim" python3 -m awssim seed --endpoint "$ENDPOINT" >"$WORK/seed.json"
seed() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v[0] if isinstance(v, list) else v)' "$WORK/seed.json" "$1"; }
echo "simulator at $ENDPOINT; cluster $(seed cluster), load balancer ecs-tutorial-alb"

say "starting a Docker registry on loopback and pushing library/nginx into it"
REGISTRY_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
REGISTRY="http://127.0.0.1:$REGISTRY_PORT"
cat >"$WORK/registry.yml" <<YAML
version: 0.1
storage: {filesystem: {rootdirectory: $WORK/registry-data}}
http: {addr: 127.0.0.1:$REGISTRY_PORT}
log: {level: error}
YAML
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do curl -sf "$REGISTRY/v2/" >/dev/null && break; sleep 0.05; done
# Each tag holds a small image of its own (a layer with one file); the simulator runs any image it is given.
declare -A DIGEST
for tag in perl stable alpine broken mainline; do
  DIGEST[$tag]="$(python3 scripts/registry-push.py --registry "$REGISTRY" --image library/nginx --tag "$tag" --content "nginx $tag")"
  printf '  library/nginx:%-7s %s\n' "$tag" "${DIGEST[$tag]}"
done

say "starting ecs-manager and ecs-delegate on loopback"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/token"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/secrets.key"
chmod 600 "$WORK/token" "$WORK/secrets.key"
"$BIN/ecs-manager" serve --listen 127.0.0.1:0 --port-file "$WORK/port" --data "$WORK/manager-data" \
  --token-file "$WORK/token" --secrets-key-file "$WORK/secrets.key" >"$WORK/manager.log" 2>&1 &
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

say "secrets and a connector that selects the delegate by tag"
# Secret values come from standard input, never the command line; the manager seals them with AES-256-GCM.
printf 'AKIDDEMO' | "$BIN/ecs-manager" secret set sim-key-id "${M[@]}"
printf 'demo-secret-key-value' | "$BIN/ecs-manager" secret set sim-secret "${M[@]}"
"$BIN/ecs-manager" secret list "${M[@]}"
cat >"$WORK/connector.yaml" <<YAML
name: aws-tutorial
type: aws
region: us-east-1
endpoint: $ENDPOINT
credentials:
  kind: static
  accessKeyIdSecret: sim-key-id
  secretAccessKeySecret: sim-secret
delegateSelectors: [ecs]
YAML
cat "$WORK/connector.yaml"
"$BIN/ecs-manager" connector apply "$WORK/connector.yaml" "${M[@]}"
"$BIN/ecs-manager" connector test aws-tutorial "${M[@]}"
# The pipelines take their artifact from this registry (Config/examples/connectors/local-registry.yaml, on the demo's port).
sed "s|http://127.0.0.1:5000|$REGISTRY|" "$ROOT/Config/examples/connectors/local-registry.yaml" >"$WORK/registry-connector.yaml"
"$BIN/ecs-manager" connector apply "$WORK/registry-connector.yaml" "${M[@]}"
"$BIN/ecs-manager" connector test local-registry "${M[@]}"

# The examples name the network and role through variables; the simulator's come from its seed.
NET=(--var "aws.securityGroup=$(seed securityGroupId)" --var "aws.subnet=$(seed subnets)")
PIPES="$ROOT/Config/examples/pipelines"

say "pipeline myapp-rolling with nginx:perl: the first deployment, the image pinned to its digest"
"$BIN/ecs-manager" run "$PIPES/rolling.yaml" --follow "${M[@]}" "${NET[@]}" --var artifact.tag=perl

say "pipeline myapp-rolling with nginx:stable: an update of the running service"
"$BIN/ecs-manager" run "$PIPES/rolling.yaml" --follow "${M[@]}" "${NET[@]}" --var artifact.tag=stable

say "pipeline myapp-rolling with nginx:broken: the image cannot be pulled, the deployment fails and is rolled back"
# The simulator fails to start exactly the bits the broken tag names.
curl -s -XPOST "$ENDPOINT/_awssim/faults/images" -d "{\"pattern\": \"*@${DIGEST[broken]}\", \"failToStart\": true}" >/dev/null
# No timeout to wait out: once the service's tasks keep failing with one reason, the step fails fast naming it.
status=0
"$BIN/ecs-manager" run "$PIPES/rolling.yaml" --follow "${M[@]}" "${NET[@]}" --var artifact.tag=broken || status=$?
if [ "$status" != 1 ]; then echo "expected the broken deployment to fail and be rolled back (exit 1), got exit $status" >&2; exit 1; fi
echo "(exit 1: the deployment failed and the rollback put myapp back on nginx:stable)"

# The gated blue/green probes the load balancer's DNS name and listener ports; on the simulator they lead to its
# loopback listeners through connectTo (curl's --connect-to), added to a copy of the example beside its manifests.
DNS="$(seed loadBalancerDns)"
PROD_URL="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["listenerUrls"]["prod"])' "$WORK/seed.json")"
STAGE_URL="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["listenerUrls"]["stage"])' "$WORK/seed.json")"
mkdir -p "$WORK/examples/pipelines" && ln -sfn "$ROOT/Config/examples/manifests" "$WORK/examples/manifests"
sed "s|{kind: http, |{kind: http, connectTo: [\"$DNS:80:127.0.0.1:${PROD_URL##*:}\", \"$DNS:8080:127.0.0.1:${STAGE_URL##*:}\"], |" \
    "$PIPES/bluegreen-gated.yaml" >"$WORK/examples/pipelines/bluegreen-gated.yaml"
GATED="$WORK/examples/pipelines/bluegreen-gated.yaml"
# Approves the execution once it waits at its approval, as a release manager would with the command run --follow prints.
approve_when_held() {
    for _ in $(seq 600); do
        id="$("$BIN/ecs-manager" executions --json "${M[@]}" | python3 -c 'import json,sys; print(next((e["executionId"] for e in json.load(sys.stdin) if e["phase"] == "waiting"), ""))')"
        if [ -n "$id" ]; then sleep 2; "$BIN/ecs-manager" approve "$id" --comment "checked on the stage listener" "${M[@]}"; return; fi
        sleep 0.5
    done
}

say "pipeline myapp-bluegreen with nginx:alpine: create the stage service, verify it through the stage listener, approve, swap"
approve_when_held &
approver=$!
"$BIN/ecs-manager" run "$GATED" --follow "${M[@]}" "${NET[@]}" --var artifact.tag=alpine
wait "$approver"
# What the prod listener serves, by the tag whose digest the image names.
prod_tag() {
    image="$(curl -s "$PROD_URL/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["image"])')"
    for t in "${!DIGEST[@]}"; do [ "$image" = "${image%@*}@${DIGEST[$t]}" ] && { echo "$t"; return; }; done
    echo "$image"
}
echo "the prod listener now serves library/nginx:$(prod_tag)"

say "pipeline myapp-bluegreen with nginx:mainline, an image that runs but answers 500: verify fails, the rollback runs"
curl -s -XPOST "$ENDPOINT/_awssim/faults/images" -d "{\"pattern\": \"*@${DIGEST[mainline]}\", \"httpStatus\": 500}" >/dev/null
status=0
"$BIN/ecs-manager" run "$GATED" --follow "${M[@]}" "${NET[@]}" --var artifact.tag=mainline || status=$?
if [ "$status" != 1 ]; then echo "expected the release answering 500 to fail its check and be rolled back (exit 1), got exit $status" >&2; exit 1; fi
served="$(prod_tag)"
if [ "$served" != alpine ]; then echo "expected the prod listener to still serve nginx:alpine, it serves $served" >&2; exit 1; fi
echo "(exit 1: no approval was asked for; the prod listener still serves library/nginx:$served)"

say "the manager's executions"
"$BIN/ecs-manager" executions "${M[@]}"
say "the delegate's status socket"
"$BIN/ecs-delegate" status --socket "$WORK/status.sock"
echo
"$BIN/ecs-delegate" snapshots --socket "$WORK/status.sock"
say "done in $(( $(date +%s) - started )) s"
