#!/usr/bin/env bash
# Whole-process benchmarks of `agent-install apply` and of the plan cache (DESIGN §7), with
# hyperfine (scripts/setup.sh installs it):
#
#   benches/apply.sh [STEPS] [RUNS]      (defaults 200 and 10; run as root)
#
# 1. Many cheap steps: a plan of STEPS `echo` commands, applied to this machine
#    (`apply plan.json --sandbox host --yes`) versus `bash` running the same commands as one
#    script, and versus one `bash -c` per command (the floor for anything that runs, times and
#    records each step separately). The commands only print.
# 2. The jq case on this machine: a plan with `apt-get install -y jq`, versus bash running it.
#    Only when jq is already installed, so that the host does not change (apt-get finds it
#    "already the newest version"); skipped otherwise.
# 3. The jq case as a real install: `apply` of the plan `run jq` made on the Debian minbase
#    rootfs, rehearsed there (`--sandbox overlay --base debian-bookworm`), versus
#    `sandbox exec` running the same commands as one script in the same kind of sandbox.
# 4. The plan cache: `run jq --base debian-bookworm --no-apply` cold (`--no-cache`: the agent
#    plans) versus warm (the cached plan is replayed, no agent call).
#
# Prints each hyperfine table and the ratios (goal for 1 and 2: apply / bash <= 1.05).
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-200}"
runs="${2:-10}"

command -v hyperfine >/dev/null || { echo "apply.sh: hyperfine is missing (scripts/setup.sh installs it)" >&2; exit 2; }
command -v jq >/dev/null || { echo "apply.sh: jq is missing (needed to write the plans)" >&2; exit 2; }
cargo build --release --quiet
binary="$(pwd)/${AGENT_INSTALL:-target/release/agent-install}"
work="$(mktemp -d /tmp/apply-bench.XXXXXX)"
# A cache of its own for the plans; the built minbase rootfs is linked in from the usual cache.
export AGENT_INSTALL_CACHE_DIR="$work/cache"
mkdir -p "$work/cache"
ln -s "${XDG_CACHE_HOME:-$HOME/.cache}/agent-install/rootfs" "$work/cache/rootfs"
cleanup() {
    # Only the files this script made, by name (no recursive removal of a variable path).
    rm -f "$work"/*.json "$work"/*.sh "$work"/*.md "$work"/cache/plans/*/*.json "$work/cache/rootfs"
    rmdir "$work"/cache/plans/* "$work"/cache/plans "$work"/cache "$work" 2>/dev/null || true
}
trap cleanup EXIT

fingerprint="$("$binary" probe --json | jq -r .fingerprint)"

# A plan for this machine: writes $work/NAME.json from a doc and a list of commands on stdin.
make_plan() {
    local name="$1" doc="$2" verify="$3"
    jq -R -s --arg doc "$doc" --arg sha "$(sha256sum "$doc" | cut -d' ' -f1)" \
        --arg fingerprint "$fingerprint" --arg verify "$verify" '
        {schema_version: 1, generator: "benches/apply.sh",
         doc: {source: $doc, sha256: $sha},
         probe: {fingerprint: $fingerprint, summary: "this machine"},
         route: null, agent: {kind: "none"},
         steps: [split("\n")[] | select(length > 0)
                 | {command: ., purpose: "bench", risks: [], decision: "allow"}],
         verification: [$verify], verified: true}' > "$work/$name.json"
}

ratio() { # ratio NAME EXPORT.json  — mean of command 1 / mean of command 2
    jq -r --arg name "$1" '"\($name): \(.results[0].mean / .results[1].mean * 1000 | round / 1000)x (\(.results[0].mean * 1000 | round) ms vs \(.results[1].mean * 1000 | round) ms)"' "$2"
}

# The doc the bench plans cite (only its hash is checked).
cp README.md "$work/doc.md"

echo "== 1. $steps cheap steps on this machine"
for i in $(seq "$steps"); do echo "echo step $i"; done > "$work/cheap.sh"
make_plan cheap "$work/doc.md" "true" < "$work/cheap.sh"
per_command="$work/per-command.sh"
for i in $(seq "$steps"); do echo "bash -c 'echo step $i'"; done > "$per_command"
# -N: no intermediate shell (hyperfine discards the output itself).
hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/cheap-result.json" \
    --command-name "apply --sandbox host" "$binary apply $work/cheap.json --sandbox host --yes --json" \
    --command-name "bash script" "bash $work/cheap.sh" \
    --command-name "bash -c per command" "bash $per_command"
ratio "apply / bash script" "$work/cheap-result.json"
jq -r '"apply / bash -c per command: \(.results[0].mean / .results[2].mean * 1000 | round / 1000)x"' "$work/cheap-result.json"

echo
if dpkg-query -W -f='${Status}' jq 2>/dev/null | grep -q 'install ok installed'; then
    echo "== 2. jq on this machine (already installed: apt-get changes nothing)"
    echo "apt-get install -y jq" > "$work/jq-host.sh"
    make_plan jq-host "$work/doc.md" "jq --version" < "$work/jq-host.sh"
    # bash runs the step and the verification, as apply does.
    echo "jq --version" >> "$work/jq-host.sh"
    hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/jq-host-result.json" \
        --command-name "apply --sandbox host" "$binary apply $work/jq-host.json --sandbox host --yes --json" \
        --command-name "bash script" "bash $work/jq-host.sh"
    ratio "apply / bash (jq, host)" "$work/jq-host-result.json"
else
    echo "== 2. skipped: jq is not installed here, and the bench does not install it on the host"
fi

echo
echo "== 3. jq installed for real, in the overlay on the Debian minbase rootfs"
jq_runs=$(( runs < 5 ? runs : 5 ))
"$binary" run jq --base debian-bookworm --no-apply --no-cache --plan-out "$work/jq.json" >/dev/null 2>&1
# The sandbox sees the rootfs, not this machine's files: the script goes in as one argument.
script="$(jq -r '[.steps[].command, .verification[]] | join(" && ")' "$work/jq.json")"
echo "plan as one script: $script"
hyperfine --shell bash --warmup 1 --runs "$jq_runs" --export-json "$work/jq-result.json" \
    --command-name "apply --sandbox overlay" "$binary apply $work/jq.json --sandbox overlay --base debian-bookworm --json >/dev/null" \
    --command-name "sandbox exec, same commands" "$binary sandbox exec --base debian-bookworm -- $(printf '%q' "$script") >/dev/null 2>&1"
ratio "apply / sandbox exec (jq, minbase)" "$work/jq-result.json"

echo
echo "== 4. plan cache: cold run (agent) vs warm run (cached plan), jq on minbase"
"$binary" run jq --base debian-bookworm --no-apply >/dev/null 2>&1 # fills the cache
hyperfine --warmup 0 --runs "$jq_runs" --export-json "$work/cache-result.json" \
    --command-name "cold (--no-cache)" "$binary run jq --base debian-bookworm --no-apply --no-cache --json >/dev/null" \
    --command-name "warm (cached plan)" "$binary run jq --base debian-bookworm --no-apply --json >/dev/null"
jq -r '"warm / cold: \(.results[1].mean / .results[0].mean * 1000 | round / 1000)x (\(.results[1].mean * 1000 | round) ms vs \(.results[0].mean * 1000 | round) ms)"' "$work/cache-result.json"
