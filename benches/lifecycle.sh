#!/bin/sh
# benches/lifecycle.sh [BINARY] [PRODUCT...]: for each product of the catalog (default: jq from
# apt, httpie from PyPI via pipx, prettier from the npm registry), on a throwaway copy of the
# Debian minbase rootfs treated as the machine (chrooted in a private mount namespace, as
# tests/it/lifecycle.rs does): apply, then uninstall. Prints the paths that differ from the
# pre-install tree (outside caches) and the time of `agent-install uninstall NAME --yes`
# against the package managers' own removal of the same packages (`pipx uninstall`, `npm
# uninstall -g`, then `apt-get purge` of the apt packages the install added, as the record
# lists them) on a second copy of the installed machine. Needs root and the cached minbase.
set -eu
binary=${1:-target/debug/agent-install}
[ $# -gt 0 ] && shift
products=${*:-jq httpie prettier}
here=$(cd "$(dirname "$0")" && pwd)
minbase=$HOME/.cache/agent-install/rootfs/debian-bookworm-minbase
work=$(mktemp -d /var/tmp/lifecycle-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

machine() {
    cp -a "$minbase" "$1"
    cp "$binary" "$1/usr/local/bin/agent-install"
    rm -f "$1/etc/resolv.conf" && cp /etc/resolv.conf "$1/etc/resolv.conf"
    # This machine reaches PyPI and npm through a TLS-inspecting proxy: its CA bundle goes in,
    # named by pip's and npm's system-wide configuration (there before the install, unchanged).
    cp /etc/ssl/certs/ca-certificates.crt "$1/etc/host-ca.crt"
    printf '[global]\ncert = /etc/host-ca.crt\n' > "$1/etc/pip.conf"
    printf 'cafile=/etc/host-ca.crt\n' > "$1/etc/npmrc"
    case $2 in
    # The catalog's httpie doc offers apt first; this measures the pipx route from PyPI.
    httpie) printf '+++\nname = "httpie"\nverify = ["http --version"]\n+++\n\n# httpie\n\n## pipx\n\n```sh\npipx install httpie\n```\n\n## Check\n\n```sh\nhttp --version\n```\n' > "$1/root/httpie.md" ;;
    *) cp "$here/../install-docs/$2.md" "$1/root/$2.md" ;;
    esac
}

on() {
    unshare --mount --fork sh -c '
root=$1; shift
mount --make-rprivate /
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mount -t tmpfs tmpfs "$root/tmp"
exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root NO_COLOR=1 AGENT_INSTALL_NO_CACHE=1 /bin/sh -c "$1"
' sh "$@"
}

seconds() { date +%s.%N; }

# The package managers' own removal of what the record says the install added.
removal_of() {
    python3 - "$1" <<'PY'
import glob, json, sys
record = json.load(open(glob.glob(sys.argv[1] + "/var/lib/agent-install/records/*/record.json")[0]))
added = [p for p in record["packages"] if p.get("before") is None and p.get("after") is not None]
commands = []
for p in added:
    if p["manager"] == "pipx":
        commands.append("pipx uninstall " + p["name"])
    elif p["manager"] == "npm":
        commands.append("npm uninstall -g " + p["name"])
    elif p["manager"] == "cargo":
        commands.append("cargo uninstall " + p["name"])
apt = [p["name"] for p in added if p["manager"] == "apt"]
if apt:
    commands.append("DEBIAN_FRONTEND=noninteractive apt-get purge -y --no-auto-remove " + " ".join(apt))
print(" && ".join(commands) or "true")
PY
}

for product in $products; do
    rm -rf "$work/a" "$work/b" "$work/before"
    machine "$work/a" "$product"
    cp -a "$work/a" "$work/before"
    start=$(seconds)
    on "$work/a" "cd /root && agent-install run $product.md --apply --yes" >"$work/apply.log" 2>&1 ||
        { echo "$product: the apply failed"; tail -20 "$work/apply.log"; continue; }
    apply=$(echo "$(seconds) - $start" | bc)
    cp -a "$work/a" "$work/b"
    removal=$(removal_of "$work/b")
    start=$(seconds)
    on "$work/a" "agent-install uninstall $product --yes" >"$work/uninstall.log" 2>&1 ||
        { echo "$product: the uninstall failed"; tail -20 "$work/uninstall.log"; continue; }
    uninstall=$(echo "$(seconds) - $start" | bc)
    start=$(seconds)
    on "$work/b" "$removal" >"$work/removal.log" 2>&1 || echo "$product: \`$removal\` failed"
    own=$(echo "$(seconds) - $start" | bc)
    echo "== $product (apply ${apply}s)"
    echo "paths different after apply + uninstall (outside caches):"
    python3 "$here/tree_diff.py" "$work/before" "$work/a" | tee "$work/diff.txt" | head -20
    echo "count: $(wc -l < "$work/diff.txt")"
    echo "paths different after apply + the managers' own removal (outside caches): $(python3 "$here/tree_diff.py" "$work/before" "$work/b" | wc -l)"
    echo "the managers' own removal: $removal"
    echo "uninstall ${uninstall}s, own removal ${own}s, ratio $(echo "scale=2; $uninstall / $own" | bc)"
done
