# Shared by the benchmark scripts: build the release binaries once, and say where results go.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
RESULTS="${ONCALL_BENCH_RESULTS:-$ROOT/.oncall/bench}"
mkdir -p "$RESULTS"
if [ -z "${ONCALL_BENCH_SKIP_BUILD:-}" ]; then
  swift build -c release --product oncall >&2
  swift build -c release --product oncall-bench >&2
fi
BIN="$(swift build -c release --show-bin-path)"
PY=(/usr/bin/python3 "$ROOT/ops/bench/ingest-helper.py")
export ONCALL_WORKFLOWS_DIR="$ROOT/workflows"

# start_server NAME TENANT_YAML [ENV=VALUE…]: `oncall serve` (release) on a fresh embedded cluster in a temp dir,
# the tenant applied; sets WORK, PORT, URL and KEY (the first integration's webhook URL and key), SERVER_PID,
# and stops it all on exit.
start_server() {
  local name="$1" tenant="$2"; shift 2
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/oncall-$name.XXXXXX")"
  chmod 755 "$WORK"   # as root the embedded PostgreSQL runs as `postgres`, which must reach the cluster folder
  SERVER_PID=""
  trap 'stop_server' EXIT
  trap 'exit 130' INT TERM
  env "$@" ONCALL_DATA_DIR="$WORK/data" ONCALL_HTTP_HOST=127.0.0.1 ONCALL_HTTP_PORT=0 ONCALL_LOG_LEVEL=warning "$BIN/oncall" serve >"$WORK/serve.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 1200); do
    grep -q "oncall listening on" "$WORK/serve.log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "$name: oncall serve exited" >&2; tail -20 "$WORK/serve.log" >&2; exit 1; }
    sleep 0.1
  done
  PORT="$(grep -o 'oncall listening on http://127.0.0.1:[0-9]*' "$WORK/serve.log" | grep -o '[0-9]*$')"
  [ -n "$PORT" ] || { echo "$name: oncall serve did not start within 120 s" >&2; exit 1; }
  ONCALL_DATA_DIR="$WORK/data" ONCALL_PUBLIC_URL="http://127.0.0.1:$PORT" "$BIN/oncall" apply "$tenant" >"$WORK/apply.log" 2>&1
  URL="$(sed -n 's/.*integration [^ ]*: webhook \([^ ]*\) key .*/\1/p' "$WORK/apply.log" | head -1)"
  KEY="$(sed -n 's/.*integration [^ ]*: webhook [^ ]* key \([^ ]*\) (shown once).*/\1/p' "$WORK/apply.log" | head -1)"
  [ -n "$URL" ] && [ -n "$KEY" ] || { cat "$WORK/apply.log" >&2; echo "$name: no webhook URL/key in the apply output" >&2; exit 1; }
}

stop_server() {
  local status=$?
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"   # drains, then stops the embedded PostgreSQL
    for _ in $(seq 1 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
  fi
  [ -n "${WORK:-}" ] && rm -rf "$WORK"
  return $status
}
