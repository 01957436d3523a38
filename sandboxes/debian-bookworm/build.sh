#!/usr/bin/env bash
# Builds a minimal Debian bookworm root filesystem with debootstrap and caches it per machine, so
# tests, CI and `--base debian-bookworm` get a clean-machine base for the overlay sandbox.
#
#   sandboxes/debian-bookworm/build.sh            build if missing, print the rootfs path
#   sandboxes/debian-bookworm/build.sh --rebuild  build again
#
# Cache: ${AGENT_INSTALL_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/agent-install}/rootfs/
#        debian-bookworm-minbase (plus a .stamp file next to it); agent-install passes the
#        directory as AGENT_INSTALL_ROOTFS_CACHE (also still read from the environment).
# Mirror: $DEBIAN_MIRROR, else the first bookworm mirror configured in /etc/apt (so the build
#         uses the same mirror or proxy as the machine), else http://deb.debian.org/debian.
#
# The build is atomic: debootstrap runs in a temporary directory next to the cache, which is
# renamed into place only when complete, then the stamp is written; concurrent builds wait on a
# lock. Downloaded .debs and apt lists are pruned (a sandbox runs `apt-get update` itself).
# Needs root (debootstrap creates device nodes and chowns files) and about 150 MB of disk.
set -euo pipefail

name=debian-bookworm-minbase
suite=bookworm
cache_root="${AGENT_INSTALL_ROOTFS_CACHE:-${AGENT_INSTALL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agent-install}/rootfs}"
target="$cache_root/$name"
stamp="$cache_root/$name.stamp"
rebuild=no
[ "${1:-}" = "--rebuild" ] && rebuild=yes

say() { printf 'build.sh: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    say "debootstrap needs root; run this script as root (the rootfs is then usable by everyone)"
    exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    say "debootstrap is not installed (apt-get install debootstrap)"
    exit 1
fi

find_mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then
        printf '%s\n' "$DEBIAN_MIRROR"
        return
    fi
    local file uri suites
    # deb822 sources: a stanza with URIs and Suites lines.
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -r "$file" ] || continue
        uri=""
        suites=""
        while IFS= read -r line || [ -n "$line" ]; do
            case "$line" in
                URIs:*) uri="$(printf '%s' "${line#URIs:}" | awk '{print $1}')" ;;
                Suites:*) suites="${line#Suites:}" ;;
                "")
                    if [ -n "$uri" ] && printf '%s' "$suites" | grep -qw "$suite"; then
                        printf '%s\n' "$uri"
                        return
                    fi
                    uri=""
                    suites=""
                    ;;
            esac
        done <"$file"
        if [ -n "$uri" ] && printf '%s' "$suites" | grep -qw "$suite"; then
            printf '%s\n' "$uri"
            return
        fi
    done
    # One-line sources.
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$file" ] || continue
        uri="$(awk -v suite="$suite" '$1 == "deb" && $0 ~ suite && $0 !~ /security/ {
            for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$file")"
        if [ -n "$uri" ]; then
            printf '%s\n' "$uri"
            return
        fi
    done
    printf '%s\n' "http://deb.debian.org/debian"
}

mkdir -p "$cache_root"
exec 9>"$cache_root/.$name.lock"
flock 9

if [ "$rebuild" = no ] && [ -f "$stamp" ] && [ -d "$target" ]; then
    printf '%s\n' "$target"
    exit 0
fi

mirror="$(find_mirror)"
work="$(mktemp -d "$cache_root/.$name.XXXXXX")"
trap 'rm -rf "$work"' EXIT
say "building $name from $mirror (about a minute) ..."
if ! debootstrap --variant=minbase "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    say "debootstrap failed; the full log was $work/debootstrap.log"
    exit 1
fi

# Prune what a sandbox does not need: downloaded packages and package lists.
rm -f "$work/rootfs/var/cache/apt/archives/"*.deb
rm -f "$work/rootfs/var/cache/apt/"*.bin
find "$work/rootfs/var/lib/apt/lists" -mindepth 1 -maxdepth 1 ! -name partial ! -name lock \
    -exec rm -rf {} +
rm -f "$work/rootfs/var/log/"*.log

rm -f "$stamp"
if [ -e "$target" ]; then
    mv "$target" "$work/old"
fi
mv "$work/rootfs" "$target"
{
    printf 'name=%s\n' "$name"
    printf 'suite=%s\n' "$suite"
    printf 'mirror=%s\n' "$mirror"
    printf 'built=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf 'debootstrap=%s\n' "$(dpkg-query -W -f='${Version}' debootstrap 2>/dev/null || echo unknown)"
} >"$stamp.tmp"
mv "$stamp.tmp" "$stamp"
say "done: $target"
printf '%s\n' "$target"
