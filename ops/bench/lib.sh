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
export ONCALL_WORKFLOWS_DIR="$ROOT/workflows"
