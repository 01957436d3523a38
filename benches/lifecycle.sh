#!/bin/sh
# benches/lifecycle.sh [BINARY]: jq (apt) on a throwaway copy of the Debian minbase rootfs,
# treated as the machine (chrooted in a private mount namespace, as tests/lifecycle.rs does):
# apply, then uninstall; prints the paths that differ from the pre-install tree (outside
# caches) and the time of `agent-install uninstall jq --yes` against `apt-get purge` of the
# same packages on a second copy. Needs root and the cached minbase rootfs.
set -eu
binary=${1:-target/debug/agent-install}
here=$(cd "$(dirname "$0")" && pwd)
minbase=$HOME/.cache/agent-install/rootfs/debian-bookworm-minbase
work=$(mktemp -d /var/tmp/lifecycle-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

machine() {
    cp -a "$minbase" "$1"
    cp "$binary" "$1/usr/local/bin/agent-install"
    rm -f "$1/etc/resolv.conf" && cp /etc/resolv.conf "$1/etc/resolv.conf"
    cp "$here/../install-docs/jq.md" "$1/root/jq.md"
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

machine "$work/a"
cp -a "$work/a" "$work/before"
on "$work/a" 'cd /root && agent-install run jq.md --apply --yes' >/dev/null 2>&1
cp -a "$work/a" "$work/b"
start=$(seconds)
on "$work/a" 'agent-install uninstall jq --yes' >/dev/null 2>&1
end=$(seconds)
uninstall=$(echo "$end - $start" | bc)
start=$(seconds)
on "$work/b" 'DEBIAN_FRONTEND=noninteractive apt-get purge -y --no-auto-remove jq libjq1 libonig5' >/dev/null 2>&1
end=$(seconds)
purge=$(echo "$end - $start" | bc)
echo "paths different after apply + uninstall (outside caches):"
python3 "$here/tree_diff.py" "$work/before" "$work/a" | tee "$work/diff.txt"
echo "count: $(wc -l < "$work/diff.txt")"
echo "paths different after apply + apt-get purge alone (outside caches):"
python3 "$here/tree_diff.py" "$work/before" "$work/b" | wc -l
echo "uninstall ${uninstall}s, apt-get purge ${purge}s, ratio $(echo "scale=2; $uninstall / $purge" | bc)"
