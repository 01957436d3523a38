#!/usr/bin/env bash
# Prepares a Debian machine for building, running and testing agent-install: installs the
# system packages the tests use, cargo-nextest, and builds (or reuses) the cached Debian
# minbase rootfs that sandbox tests and `--base debian-bookworm` run on. Idempotent: a second
# run changes nothing. Needs root (apt, debootstrap).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(debootstrap dpkg-dev shellcheck skopeo umoci python3-venv python3-pip ca-certificates openssl ansible-core strace hyperfine man-db)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "setup.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! cargo nextest --version >/dev/null 2>&1; then
    echo "setup.sh: installing cargo-nextest" >&2
    cargo install --locked cargo-nextest
fi

# The minbase rootfs takes about a minute the first time; later runs reuse the cache.
if [[ -x sandboxes/debian-bookworm/build.sh ]]; then
    sandboxes/debian-bookworm/build.sh
fi

echo "setup.sh: ready" >&2
