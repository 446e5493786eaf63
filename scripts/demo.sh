#!/usr/bin/env bash
# The demo: a local manager and delegate on loopback, and a task whose log lines stream back.
# Everything lives under a temporary directory and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

swift build -c release --product ecs-manager >/dev/null
swift build -c release --product ecs-delegate >/dev/null
BIN="$(swift build -c release --show-bin-path)"

WORK="$(mktemp -d /tmp/ecs-delegate-demo.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo files kept in $WORK (manager.log, delegate.log)"
}
trap cleanup EXIT

umask 077
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$WORK/token"
cat > "$WORK/delegate.yaml" <<YAML
manager_url: http://127.0.0.1:PORT
token_file: $WORK/token
name: demo-delegate
tags: [demo, ecs]
capacity: 4
state_dir: $WORK/delegate-state
status_socket: $WORK/status.sock
log_level: info
YAML

"$BIN/ecs-manager" serve --listen 127.0.0.1:0 --port-file "$WORK/port" --data "$WORK/manager-data" --token-file "$WORK/token" >"$WORK/manager.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
PORT="$(cat "$WORK/port")"
sed -i "s/PORT/$PORT/" "$WORK/delegate.yaml"
echo "manager listening on http://127.0.0.1:$PORT"

"$BIN/ecs-delegate" run --config "$WORK/delegate.yaml" >"$WORK/delegate.log" 2>&1 &
pids+=($!)

M=(--manager "http://127.0.0.1:$PORT" --token-file "$WORK/token")
for _ in $(seq 100); do
  "$BIN/ecs-manager" delegates "${M[@]}" 2>/dev/null | grep -q connected && break
  sleep 0.1
done
"$BIN/ecs-manager" delegates "${M[@]}"

echo
echo "== submitting delegate.echo to selector 'demo' and following its log =="
echo '{"lines": ["Hello from ecs-delegate", "Fetching manifests ...", "Deployment Successful."], "delayMillis": 200}' |
  "$BIN/ecs-manager" submit "${M[@]}" --type delegate.echo --selector demo --payload - --follow
echo
"$BIN/ecs-manager" tasks "${M[@]}"
