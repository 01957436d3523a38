#!/usr/bin/env python3
"""tree_diff.py BEFORE AFTER: paths whose type, mode, owner, content or link target differ
between two root filesystems (used by benches/lifecycle.sh to count what an apply followed
by an uninstall leaves behind). Prints one line per path: `+` only in AFTER, `-` only in
BEFORE, `~` different; with --caches, paths under caches, logs and package indexes too."""
import hashlib, os, stat, sys

CACHES = ("/var/cache/", "/var/log/", "/var/lib/apt/lists/", "/tmp/", "/var/tmp/",
          "/root/.cache/", "/root/.npm/", "/root/.cargo/registry/", "/var/lib/dpkg/status-old",
          "/var/lib/dpkg/diversions-old", "/var/lib/dpkg/statoverride-old", "/var/lib/dpkg/lock",
          "/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/triggers/Lock", "/var/lib/apt/extended_states",
          "/var/lib/agent-install/")

def is_cache(path):
    return any(path.startswith(prefix) or path + "/" == prefix for prefix in CACHES) or "/__pycache__" in path

def walk(root):
    entries = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(directory, name)
            path = "/" + os.path.relpath(full, root)
            info = os.lstat(full)
            kind = stat.S_IFMT(info.st_mode)
            detail = None
            if stat.S_ISLNK(info.st_mode):
                detail = os.readlink(full)
            elif stat.S_ISREG(info.st_mode):
                with open(full, "rb") as handle:
                    detail = hashlib.sha256(handle.read()).hexdigest()
            entries[path] = (kind, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, detail)
    return entries

def main():
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    show_caches = "--caches" in sys.argv
    before, after = walk(args[0]), walk(args[1])
    for path in sorted(set(before) | set(after)):
        if not show_caches and is_cache(path):
            continue
        if path not in after:
            print("-", path)
        elif path not in before:
            print("+", path)
        elif before[path] != after[path]:
            print("~", path)

main()
