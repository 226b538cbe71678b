"""Host side provisioning: the Debian packages, the guest kernel, and its cache.

Everything comes from Debian's own archive, the one source this machine, the
developers' and CI's all reach: QEMU, BlueZ (bluetoothd, btmon, and btvirt from
bluez-test-tools), a static busybox for the initramfs, and the stock kernel
package. The kernel is unpacked, never installed: the host keeps its own kernel,
and the guest's modules live in the cache with a modules.dep from `depmod -b`.

Each step checks before it acts, so a warm run costs a few stat calls and no
apt-get at all; a cold one installs, downloads and unpacks once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: What the runner and the guest execute, and the Debian package that ships it.
REQUIRED: Mapping[str, str] = {
    "/usr/bin/qemu-system-x86_64": "qemu-system-x86",
    "/usr/libexec/bluetooth/bluetoothd": "bluez",
    "/usr/bin/btmon": "bluez",
    "/usr/bin/tcpdump": "tcpdump",
    "/usr/bin/btvirt": "bluez-test-tools",
    "/usr/bin/dbus-daemon": "dbus-daemon",
    "/usr/share/dbus-1/system.conf": "dbus-system-bus-common",
    "/usr/sbin/depmod": "kmod",
    "/bin/busybox": "busybox-static",
}
KERNEL_META = "linux-image-amd64"
COMPLETE = ".complete"


def run(argv: list[str], cwd: Path | None = None) -> str:
    """Run a provisioning command, with its output kept for the error message."""
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ProvisionError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr.strip()}")
    return done.stdout


class ProvisionError(RuntimeError):
    """The host could not be given what the guest needs."""


def missing_packages(required: Mapping[str, str], exists: Callable[[str], bool]) -> list[str]:
    """Packages to install: those whose files are absent, each named once, sorted."""
    return sorted({package for path, package in required.items() if not exists(path)})


def is_static_elf(path: Path) -> bool:
    """True for an ELF without a program interpreter, which the initramfs needs.

    Debian's dynamic `busybox` package also installs /bin/busybox, and would
    fail in the initramfs, which has no libc.
    """
    data = path.read_bytes()
    return data[:4] == b"\x7fELF" and b"/ld-linux" not in data[:4096]


def install_packages(log: Callable[[str], None]) -> None:
    """apt-get install whatever is missing; apt-get update first only if needed."""
    missing = missing_packages(REQUIRED, os.path.exists)
    busybox = Path("/bin/busybox")
    if busybox.exists() and not is_static_elf(busybox):
        missing = sorted({*missing, "busybox-static"})
    if not missing:
        return
    if os.geteuid() != 0:
        raise ProvisionError(
            "the guest runner needs these Debian packages, and only root can install them:\n"
            f"  apt-get install --no-install-recommends {' '.join(missing)}"
        )
    log(f"installing {' '.join(missing)}")
    install = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, capture_output=True, env=env, check=False).returncode != 0:
        log("apt-get update (package lists missing or stale)")
        run(["apt-get", "update"])
        done = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise ProvisionError(f"apt-get install failed:\n{done.stderr.strip()}")


def kernel_package_from_depends(text: str) -> str:
    """The versioned image package behind the meta package, from `apt-cache depends`."""
    for line in text.splitlines():
        kind, _, value = line.strip().partition(":")
        if kind in ("Depends", "|Depends") and value.strip().startswith("linux-image-"):
            return value.strip().strip("<>")
    raise ProvisionError(f"no linux-image dependency in:\n{text}")


@dataclass(frozen=True)
class Kernel:
    """An unpacked kernel package: its image and its modules folder."""

    root: Path
    release: str

    @property
    def image(self) -> Path:
        return self.root / "boot" / f"vmlinuz-{self.release}"

    @property
    def modules(self) -> Path:
        return self.root / "lib" / "modules" / self.release


def cached_kernel(kernels: Path) -> Kernel | None:
    """The newest completely unpacked kernel in the cache, if any."""
    if not kernels.is_dir():
        return None
    complete = sorted(path.parent for path in kernels.glob(f"*/{COMPLETE}"))
    if not complete:
        return None
    root = complete[-1]
    return Kernel(root, (root / COMPLETE).read_text().strip())


def release_of(unpacked: Path) -> str:
    """The kernel release, named by the one vmlinuz the package ships."""
    images = sorted((unpacked / "boot").glob("vmlinuz-*"))
    if len(images) != 1:
        raise ProvisionError(f"expected one vmlinuz in {unpacked / 'boot'}, found {images}")
    return images[0].name.removeprefix("vmlinuz-")


def fetch_kernel(kernels: Path, log: Callable[[str], None]) -> Kernel:
    """Download Debian's kernel package, unpack it and index its modules, once."""
    found = cached_kernel(kernels)
    if found is not None:
        return found
    try:
        depends = run(["apt-cache", "depends", KERNEL_META])
        package = kernel_package_from_depends(depends)
    except ProvisionError:
        log("apt-get update (no package lists for the kernel)")
        run(["apt-get", "update"])
        package = kernel_package_from_depends(run(["apt-cache", "depends", KERNEL_META]))
    log(f"downloading and unpacking {package}")
    staging = kernels / f"{package}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    run(["apt-get", "download", package], cwd=staging)
    (deb,) = staging.glob("*.deb")
    unpacked = staging / "root"
    run(["dpkg-deb", "-x", str(deb), str(unpacked)])
    deb.unlink()
    release = release_of(unpacked)
    run(["depmod", "-b", str(unpacked), release])
    final = kernels / package
    shutil.rmtree(final, ignore_errors=True)
    unpacked.rename(final)
    staging.rmdir()
    (final / COMPLETE).write_text(release + "\n")
    return Kernel(final, release)


def stderr_log(message: str) -> None:
    print(f"guest: {message}", file=sys.stderr, flush=True)
