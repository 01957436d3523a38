#!/usr/bin/env bash
# Sandbox overhead, as whole processes and within a session:
#
#   benches/sandbox.sh [ITERATIONS]      (default 200; run as root for the overlay on /)
#
# 1. `true` ITERATIONS times directly, then as `agent-install sandbox exec -- true` (a fresh
#    sandbox per command: process start, namespaces, overlay mounts, pivot, teardown).
# 2. `cargo bench --bench sandbox`: one session running ITERATIONS commands (the per-command
#    cost the session loop pays), a fresh sandbox per command via the library, the host
#    backend, and the cost of a snapshot and of a rollback per step.
# Prints milliseconds per command and the ratio to running `true` directly.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations="${1:-200}"

cargo build --release --quiet
binary="${AGENT_INSTALL:-target/release/agent-install}"
temp="$(mktemp -d)"
trap 'rm -rf "$temp"' EXIT

milliseconds() { date +%s%N; }
per_command() { awk -v start="$1" -v end="$2" -v n="$3" 'BEGIN { printf "%.3f", (end - start) / 1e6 / n }'; }

start=$(milliseconds)
for _ in $(seq "$iterations"); do /bin/true; done
end=$(milliseconds)
direct=$(per_command "$start" "$end" "$iterations")

start=$(milliseconds)
for _ in $(seq "$iterations"); do TMPDIR="$temp" "$binary" sandbox exec -- true 2>/dev/null; done
end=$(milliseconds)
fresh=$(per_command "$start" "$end" "$iterations")

start=$(milliseconds)
for _ in $(seq "$iterations"); do TMPDIR="$temp" "$binary" sandbox exec --sandbox dry-run -- true 2>/dev/null; done
end=$(milliseconds)
process_only=$(per_command "$start" "$end" "$iterations")

echo "whole processes, \`true\` x $iterations (ms per command)"
awk -v direct="$direct" -v fresh="$fresh" -v process_only="$process_only" 'BEGIN {
    printf "  direct: /bin/true                          %8.3f\n", direct
    printf "  agent-install sandbox exec --sandbox dry-run %6.3f   (process start, no sandbox)\n", process_only
    printf "  agent-install sandbox exec -- true         %8.3f   overhead %.3f ms, ratio %.1fx\n", fresh, fresh - direct, fresh / direct
}'
echo
SANDBOX_BENCH_ITERATIONS="$iterations" cargo bench --quiet --bench sandbox 2>/dev/null
