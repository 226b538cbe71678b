"""The guest's first stage: a busybox initramfs that can reach the host's files.

Debian's kernel builds virtio and 9p as modules, and the guest has no disk to
load them from, so the few it needs to reach the host travel inside the
initramfs and are inserted in dependency order by busybox `insmod` (no
modprobe, no modules.dep in the guest). The init then mounts the host's root
read-only over virtio-9p, tmpfs where the guest must write, the results
folder read-write over a second 9p share, and hands over to stage2.sh on the
host's own /bin/sh.

The archive is written here in the kernel's `newc` cpio format, so building it
needs neither cpio nor root, and is byte-for-byte reproducible: the cache key is
a hash of everything that goes in.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Module names stage 1 needs to reach the host's files, before dependencies.
#: Everything else (Bluetooth, and what the kernel asks for on demand: AF_ALG
#: for btvirt's crypto, cmac for SMP) is loaded in stage 2 by the host's
#: modprobe from the cached kernel's tree.
GUEST_MODULES: tuple[str, ...] = ("virtio_pci", "9pnet_virtio", "9p")

#: 9p message size: bigger messages cut round trips, which cost most under TCG.
NINEP_MSIZE = 262144

INIT_SCRIPT = f"""#!/bin/busybox sh
# iqos-hil guest stage 1: modules, shares, then stage 2 on the host's root.
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mark() {{ echo "iqos-guest: $1 $(cut -d' ' -f1 /proc/uptime)"; }}
die() {{ echo "iqos-guest: FATAL $1"; sync; reboot -f; }}
mark initramfs
for m in $(cat /modules.order); do insmod "/modules/$m" || die "insmod $m"; done
mark modules
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    iqos.results=*) results="${{arg#iqos.results=}}" ;;
    iqos.stage2=*) stage2="${{arg#iqos.stage2=}}" ;;
    iqos.project=*) project="${{arg#iqos.project=}}" ;;
  esac
done
[ -n "$results" ] && [ -n "$stage2" ] && [ -n "$project" ] || die "iqos.* arguments missing"
opts=trans=virtio,version=9p2000.L,msize={NINEP_MSIZE}
mount -t 9p -o "$opts,ro,cache=loose" hostroot /newroot || die "mount hostroot"
# The project (stage 2, the venvs) may live below /tmp, which the tmpfs below
# would hide (a CI checkout): hold it aside and put it back on top.
mkdir -p /project
mount -o bind "/newroot$project" /project || die "bind $project"
# Writable places on the read-only root, for dbus (/run/dbus), bluetoothd
# (/var/lib/bluetooth: bonds, caches) and the job (/tmp, its HOME). Mounted
# before the results share, which may live below one of them (pytest's tmp).
for d in run tmp var/tmp var/log var/lib/bluetooth; do
  mount -t tmpfs -o mode=0755 tmpfs "/newroot/$d" || die "tmpfs on /$d"
done
chmod 1777 /newroot/tmp /newroot/var/tmp
chmod 0700 /newroot/var/lib/bluetooth
mkdir -p "/newroot$project"
mount --move /project "/newroot$project" || die "put back $project"
mkdir -p "/newroot$results"
mount -t 9p -o "$opts,rw,cache=none" results "/newroot$results" || die "mount results"
mark shares
for d in proc sys dev; do mount --move "/$d" "/newroot/$d"; done
exec switch_root /newroot /bin/sh "$stage2" "$results"
"""


@dataclass(frozen=True)
class CpioEntry:
    """One archive member; `data` is a file's bytes or a symlink's target."""

    name: str
    mode: int
    data: bytes = b""


def _pad4(length: int) -> bytes:
    return b"\0" * (-length % 4)


def _newc_header(ino: int, entry: CpioEntry, nlink: int) -> bytes:
    name = entry.name.encode() + b"\0"
    fields = (ino, entry.mode, 0, 0, nlink, 0, len(entry.data), 0, 0, 0, 0, len(name), 0)
    header = b"070701" + b"".join(f"{value:08X}".encode() for value in fields)
    return header + name + _pad4(len(header) + len(name))


def cpio_newc(entries: Iterable[CpioEntry]) -> bytes:
    """Serialise entries as the kernel's initramfs format (cpio `newc`)."""
    out = bytearray()
    ino = 0
    for ino, entry in enumerate(entries, start=1):
        nlink = 2 if entry.mode & 0o170000 == 0o040000 else 1
        out += _newc_header(ino, entry, nlink)
        out += entry.data + _pad4(len(entry.data))
    out += _newc_header(ino + 1, CpioEntry("TRAILER!!!", 0), 1)
    return bytes(out + _pad4(len(out)))


def parse_modules_dep(text: str) -> dict[str, list[str]]:
    """Map each module path (relative to the modules folder) to its dependencies."""
    deps: dict[str, list[str]] = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        module, _, rest = line.partition(":")
        deps[module.strip()] = rest.split()
    return deps


def module_name(path: str) -> str:
    """The name modprobe knows a module by: file stem, dashes read as underscores."""
    stem = Path(path).name
    for suffix in (".xz", ".zst", ".gz"):
        stem = stem.removesuffix(suffix)
    return stem.removesuffix(".ko").replace("-", "_")


def load_order(deps: Mapping[str, Sequence[str]], wanted: Iterable[str]) -> list[str]:
    """Module paths in an order where every module follows all it depends on."""
    by_name = {module_name(path): path for path in deps}
    order: list[str] = []
    seen: set[str] = set()

    def visit(path: str) -> None:
        if path in seen:
            return
        seen.add(path)
        for dep in deps.get(path, ()):
            visit(dep)
        order.append(path)

    for name in wanted:
        if name not in by_name:
            raise LookupError(f"module {name} is not in modules.dep (built in, or wrong kernel?)")
        visit(by_name[name])
    return order


def initramfs_entries(busybox: bytes, modules: Mapping[str, bytes]) -> list[CpioEntry]:
    """Archive members: busybox, the init, and modules named in load order."""
    entries = [
        CpioEntry("bin", 0o040755),
        CpioEntry("bin/busybox", 0o100755, busybox),
        CpioEntry("bin/sh", 0o120777, b"busybox"),
        CpioEntry("init", 0o100755, INIT_SCRIPT.encode()),
        CpioEntry("modules", 0o040755),
    ]
    entries += [
        CpioEntry(f"modules/{Path(path).name}", 0o100644, data) for path, data in modules.items()
    ]
    order = "".join(f"{Path(path).name}\n" for path in modules)
    entries.append(CpioEntry("modules.order", 0o100644, order.encode()))
    return entries


def build_initramfs(busybox: Path, modules_dir: Path, cache_dir: Path) -> Path:
    """The gzip'd initramfs for this kernel and busybox, built once per content hash."""
    deps = parse_modules_dep((modules_dir / "modules.dep").read_text())
    order = load_order(deps, GUEST_MODULES)
    modules = {path: (modules_dir / path).read_bytes() for path in order}
    entries = initramfs_entries(busybox.read_bytes(), modules)
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(f"{entry.name}\0{entry.mode}\0{len(entry.data)}\0".encode())
        digest.update(entry.data)
    target = cache_dir / f"initramfs-{digest.hexdigest()[:16]}.cpio.gz"
    if not target.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_bytes(gzip.compress(cpio_newc(entries), compresslevel=6, mtime=0))
        partial.replace(target)
    return target
