"""Host-side parts of the guest runner, without booting anything; and one real boot."""

from __future__ import annotations

import configparser
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dbus_fast import Variant

from harness.guest.__main__ import smoke_report
from harness.guest.bringup import adapters_from_objects, guest_env
from harness.guest.host import (
    COMPLETE,
    Kernel,
    ProvisionError,
    cached_kernel,
    is_static_elf,
    kernel_package_from_depends,
    missing_packages,
    release_of,
)
from harness.guest.initramfs import (
    CpioEntry,
    build_initramfs,
    cpio_newc,
    load_order,
    module_name,
    parse_modules_dep,
)
from harness.guest.runner import (
    MONITOR_CAPTURE,
    ROOT,
    SETUP_FAILED,
    STAGE2,
    Boot,
    GuestConfig,
    Marker,
    collect,
    guest_conf,
    job_environment,
    job_script,
    parse_marker,
    qemu_argv,
    reuse_results_dir,
    vcpus_for,
    worst_exit_code,
)
from harness.targets.btmon import (
    LINKTYPE_BLUETOOTH_LINUX_MONITOR,
    MONITOR_PSEUDO_HEADER,
    PCAP_HEADER,
    PCAP_MAGIC_US,
    PCAP_RECORD,
    records,
)


def read_newc(archive: bytes) -> list[tuple[str, int, bytes]]:
    """A minimal reader, to check the writer against the format, not against itself."""
    members: list[tuple[str, int, bytes]] = []
    offset = 0
    while True:
        header = archive[offset : offset + 110]
        assert header[:6] == b"070701"
        fields = [int(header[6 + 8 * i : 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name_end = offset + 110 + namesize
        name = archive[offset + 110 : name_end - 1].decode()
        data_start = name_end + (-name_end % 4)
        data = archive[data_start : data_start + size]
        offset = data_start + size + (-(data_start + size) % 4)
        if name == "TRAILER!!!":
            assert len(archive) % 4 == 0
            return members
        members.append((name, mode, data))


def test_cpio_newc_round_trips_files_dirs_and_symlinks() -> None:
    entries = [
        CpioEntry("bin", 0o040755),
        CpioEntry("bin/busybox", 0o100755, b"\x7fELF odd length"),
        CpioEntry("bin/sh", 0o120777, b"busybox"),
        CpioEntry("init", 0o100755, b"#!/bin/sh\n"),
    ]
    members = read_newc(cpio_newc(entries))
    assert members == [(entry.name, entry.mode, entry.data) for entry in entries]


MODULES_DEP = """\
kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/fs/netfs/netfs.ko:
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/net/9p/9pnet.ko:
kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio.ko
"""


def test_load_order_puts_dependencies_first_and_each_module_once() -> None:
    order = load_order(parse_modules_dep(MODULES_DEP), ["virtio_pci", "9pnet_virtio", "9p"])
    assert len(order) == len(set(order)) == 7
    deps = parse_modules_dep(MODULES_DEP)
    for position, module in enumerate(order):
        assert all(order.index(dep) < position for dep in deps[module])


def test_load_order_names_a_missing_module() -> None:
    with pytest.raises(LookupError, match="hci_vhci"):
        load_order(parse_modules_dep(MODULES_DEP), ["hci_vhci"])


def test_module_name_is_modprobes_spelling() -> None:
    assert module_name("kernel/drivers/bluetooth/hci-vhci.ko.xz") == "hci_vhci"
    assert module_name("kernel/fs/9p/9p.ko") == "9p"


def fake_kernel_tree(tmp_path: Path) -> tuple[Path, Path]:
    modules = tmp_path / "modules"
    for line in MODULES_DEP.splitlines():
        path = modules / line.partition(":")[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"module " + path.name.encode())
    (modules / "modules.dep").write_text(MODULES_DEP)
    busybox = tmp_path / "busybox"
    busybox.write_bytes(b"\x7fELF static")
    return busybox, modules


def test_initramfs_is_built_once_and_rebuilt_when_an_input_changes(tmp_path: Path) -> None:
    busybox, modules = fake_kernel_tree(tmp_path)
    cache = tmp_path / "cache"
    first = build_initramfs(busybox, modules, cache)
    stamp = first.stat().st_mtime_ns
    assert build_initramfs(busybox, modules, cache) == first
    assert first.stat().st_mtime_ns == stamp
    members = {name: data for name, _, data in read_newc(gzip.decompress(first.read_bytes()))}
    order = members["modules.order"].decode().split()
    assert order[-1] == "9p.ko" and order.index("netfs.ko") < order.index("fscache.ko")
    assert b"switch_root /newroot" in members["init"]
    (modules / "kernel/fs/9p/9p.ko").write_bytes(b"rebuilt module")
    assert build_initramfs(busybox, modules, cache) != first


def test_missing_packages_are_named_once() -> None:
    required = {"/a": "pkg-a", "/b": "pkg-b", "/c": "pkg-a"}
    assert missing_packages(required, lambda path: path == "/b") == ["pkg-a"]
    assert missing_packages(required, lambda path: True) == []


def test_static_busybox_is_told_from_a_dynamic_one(tmp_path: Path) -> None:
    static, dynamic = tmp_path / "static", tmp_path / "dynamic"
    static.write_bytes(b"\x7fELF" + b"\0" * 100)
    dynamic.write_bytes(b"\x7fELF" + b"\0" * 20 + b"/lib64/ld-linux-x86-64.so.2\0")
    assert is_static_elf(static)
    assert not is_static_elf(dynamic)


def test_kernel_package_comes_from_apt_cache_depends() -> None:
    text = "linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n"
    assert kernel_package_from_depends(text) == "linux-image-6.1.0-56-amd64"
    with pytest.raises(ProvisionError):
        kernel_package_from_depends("linux-image-amd64\n")


def test_only_completely_unpacked_kernels_are_used(tmp_path: Path) -> None:
    assert cached_kernel(tmp_path / "absent") is None
    (tmp_path / "linux-image-6.1.0-1-amd64.partial" / "root").mkdir(parents=True)
    assert cached_kernel(tmp_path) is None
    done = tmp_path / "linux-image-6.1.0-56-amd64"
    done.mkdir()
    (done / COMPLETE).write_text("6.1.0-56-amd64\n")
    kernel = cached_kernel(tmp_path)
    assert kernel == Kernel(done, "6.1.0-56-amd64")
    assert kernel.image == done / "boot" / "vmlinuz-6.1.0-56-amd64"
    assert kernel.modules == done / "lib" / "modules" / "6.1.0-56-amd64"


def test_release_is_read_from_the_one_vmlinuz(tmp_path: Path) -> None:
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot" / "vmlinuz-6.1.0-56-amd64").touch()
    assert release_of(tmp_path) == "6.1.0-56-amd64"
    (tmp_path / "boot" / "vmlinuz-6.1.0-57-amd64").touch()
    with pytest.raises(ProvisionError):
        release_of(tmp_path)


KERNEL = Kernel(Path("/cache/k"), "6.1.0-56-amd64")


def test_qemu_argv_uses_tcg_and_shares_root_read_only(tmp_path: Path) -> None:
    argv = qemu_argv(KERNEL, Path("/cache/initrd"), tmp_path, GuestConfig(memory_mb=300))
    assert argv[argv.index("-accel") + 1] == "tcg,thread=multi"
    assert argv[argv.index("-m") + 1] == "300M"
    assert argv[argv.index("-kernel") + 1] == "/cache/k/boot/vmlinuz-6.1.0-56-amd64"
    shares = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-virtfs"]
    assert any("path=/," in share and "readonly=on" in share for share in shares)
    assert any(f"path={tmp_path}," in share and "readonly" not in share for share in shares)
    append = argv[argv.index("-append") + 1].split()
    assert "mitigations=off" in append
    assert f"iqos.results={tmp_path}" in append and f"iqos.stage2={STAGE2}" in append
    assert f"iqos.project={ROOT}" in append


@pytest.mark.parametrize(
    ("guests", "cores", "vcpus"), [(1, 2, 2), (2, 2, 1), (3, 2, 1), (2, 8, 4), (1, 1, 1)]
)
def test_guests_side_by_side_get_no_more_vcpus_than_the_host_has_cores(
    guests: int, cores: int, vcpus: int
) -> None:
    assert vcpus_for(guests, cores) == vcpus
    argv = qemu_argv(KERNEL, Path("/i"), Path("/r"), GuestConfig(cpus=vcpus))
    assert argv[argv.index("-smp") + 1] == str(vcpus)


def test_qemu_argv_refuses_paths_the_kernel_command_line_would_split(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="white space"):
        qemu_argv(KERNEL, Path("/i"), tmp_path / "with space", GuestConfig())


def test_job_script_keeps_arguments_intact_through_the_shell(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import sys, os; print(sys.argv[1:], os.environ['ODD'])",
            "it's", "two words", "$HOME"]  # fmt: skip
    script = tmp_path / "job.sh"
    script.write_text(job_script(argv, tmp_path, {"ODD": "a 'quoted' $value"}))
    done = subprocess.run(["/bin/sh", str(script)], capture_output=True, text=True, check=True)
    assert done.stdout == "[\"it's\", 'two words', '$HOME'] a 'quoted' $value\n"


def test_job_environment_passes_only_what_the_guest_can_use() -> None:
    host = {"PATH": "/bin", "HOME": "/root", "IQOS_HIL_TARGET": "bluez", "PYTHONHASHSEED": "0",
            "SECRET_TOKEN": "x", "LC_ALL": "C.UTF-8"}  # fmt: skip
    env = job_environment(host, Path("/r"))
    assert env == {"PATH": "/bin", "HOME": "/tmp/home", "IQOS_HIL_TARGET": "bluez",
                   "PYTHONHASHSEED": "0", "LC_ALL": "C.UTF-8", "IQOS_HIL_IN_GUEST": "1",
                   "IQOS_GUEST_RESULTS": "/r",
                   "PYTEST_ADDOPTS": "-p harness.guest.pytest_progress"}  # fmt: skip


def test_every_pytest_of_the_job_reports_its_scenarios_beside_the_hosts_options() -> None:
    env = job_environment({"PYTEST_ADDOPTS": "-p no:hypothesispytest"}, Path("/r"))
    assert env["PYTEST_ADDOPTS"] == "-p no:hypothesispytest -p harness.guest.pytest_progress"


def test_guest_conf_is_sourceable_shell() -> None:
    config = GuestConfig(python="/opt/my python", ready_timeout=90, controllers=5, clients=2,
                         bluetoothd_debug=True)  # fmt: skip
    shown = (
        '"$PYTHON" "$READY_TIMEOUT" "$KERNEL_ROOT" "$CONTROLLERS" "$CLIENTS" "$BLUETOOTHD_OPTIONS"'
    )
    script = guest_conf(config, KERNEL) + f'printf "%s|%s|%s|%s|%s|%s" {shown}'
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == "/opt/my python|90|/cache/k|5|2|-n -d"


def test_a_previous_guests_results_folder_is_emptied_and_anything_else_refused(
    tmp_path: Path,
) -> None:
    previous = tmp_path / "previous"
    previous.mkdir()
    (previous / "qemu.cmdline").write_text("qemu-system-x86_64\n")
    (previous / "guest.env").write_text("export IQOS_BLUEZ_CLIENT_ADAPTER=hci1\n")
    reuse_results_dir(previous)
    assert previous.is_dir() and not any(previous.iterdir())
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ProvisionError, match="not a guest's results folder"):
        reuse_results_dir(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    reuse_results_dir(tmp_path / "new" / "folder")
    assert (tmp_path / "new" / "folder").is_dir()


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("iqos-guest: ready 7.21", ("ready", 7.21)),
        ("[    1.99] iqos-guest: modules 2.14", ("modules", 2.14)),
        ("iqos-guest: shares ", None),
        ("iqos-guest: FATAL bring-up failed, see x", None),
        ("[    5.1] reboot: Restarting system", None),
    ],
)
def test_parse_marker(line: str, parsed: tuple[str, float] | None) -> None:
    assert parse_marker(line) == parsed


def booted(results: Path, **overrides: object) -> Boot:
    boot = Boot(results, returncode=0, wall=20.0)
    boot.markers = {"initramfs": Marker(host=4.0, uptime=1.5), "ready": Marker(9.5, 7.0)}
    for name, value in overrides.items():
        setattr(boot, name, value)
    return boot


def test_collect_reads_exit_code_and_maps_guest_times_to_host_time(tmp_path: Path) -> None:
    (tmp_path / "exit_code").write_text("3\n")
    ready = {"times": {"bluetoothd_ready": 6.5, "adapters_powered": 6.75}, "attempts": 1}
    (tmp_path / "ready.json").write_text(json.dumps(ready))
    outcome = collect(booted(tmp_path))
    assert (outcome.exit_code, outcome.problem) == (3, None)
    assert outcome.summary["host_seconds"] == {"bluetoothd_ready": 9.0, "adapters_powered": 9.25}
    assert json.loads((tmp_path / "summary.json").read_text()) == outcome.summary


def test_collect_turns_the_guests_monitor_pcap_into_btmon_snoop(tmp_path: Path) -> None:
    (tmp_path / "exit_code").write_text("0\n")
    event = MONITOR_PSEUDO_HEADER.pack(0, 3) + b"\x0e\x04\x01\x03\x0c\x00"
    (tmp_path / MONITOR_CAPTURE).write_bytes(
        PCAP_HEADER.pack(PCAP_MAGIC_US, 2, 4, 0, 0, 262144, LINKTYPE_BLUETOOTH_LINUX_MONITOR)
        + PCAP_RECORD.pack(1_700_000_000, 5, len(event), len(event))
        + event
    )
    collect(booted(tmp_path))
    assert not (tmp_path / MONITOR_CAPTURE).exists()
    (record,) = records((tmp_path / "btmon.snoop").read_bytes())
    assert (record.unix_us, record.index, record.opcode) == (1_700_000_000_000_005, 0, 3)


@pytest.mark.parametrize(
    ("setup", "overrides", "problem"),
    [
        ({"setup_failed": "bring-up failed"}, {}, "guest setup failed: bring-up failed"),
        (
            {},
            {"stopped": "shard-0: stopped at the overall cap of 20 s", "returncode": -9},
            "shard-0: stopped at the overall cap of 20 s",
        ),
        ({}, {"fatal": ["insmod 9p.ko"]}, "guest setup failed: insmod 9p.ko"),
        ({}, {"returncode": 1}, "guest stopped (QEMU exit 1) before the job finished"),
    ],
)
def test_collect_explains_a_job_that_never_ran(
    tmp_path: Path, setup: dict[str, str], overrides: dict[str, object], problem: str
) -> None:
    for name, text in setup.items():
        (tmp_path / name).write_text(text)
    outcome = collect(booted(tmp_path, **overrides))
    assert (outcome.exit_code, outcome.problem) == (SETUP_FAILED, problem)


def adapter_props(address: str, powered: bool) -> dict[str, Variant]:
    return {"Address": Variant("s", address), "Powered": Variant("b", powered)}


def test_adapters_are_ordered_by_index_and_named_for_the_job() -> None:
    objects: dict[str, dict[str, dict[str, Variant]]] = {
        "/org/bluez/hci10": {"org.bluez.Adapter1": adapter_props("00:AA:01:0A:00:0A", True)},
        "/org/bluez/hci2": {"org.bluez.Adapter1": adapter_props("00:AA:01:02:00:02", False)},
        "/org/bluez/hci2/dev_00_AA": {"org.bluez.Device1": {}},
        "/org/bluez": {"org.bluez.AgentManager1": {}},
    }
    adapters = adapters_from_objects(objects)
    assert [(a.name, a.powered) for a in adapters] == [("hci2", False), ("hci10", True)]
    assert guest_env(adapters) == (
        "export IQOS_BLUEZ_DEVICE_ADAPTERS=hci2\nexport IQOS_BLUEZ_CLIENT_ADAPTER=hci10\n"
        "export IQOS_HIL_GUEST_SLOWNESS=1\n"
    )


def test_smoke_report_needs_both_exit_code_and_verdict(tmp_path: Path) -> None:
    (tmp_path / "exit_code").write_text("0")
    (tmp_path / "smoke.json").write_text(json.dumps({"verdict": "PASS", "total": 3.3,
                                                     "steps": {"pair": 0.06}}))  # fmt: skip
    passed, report = smoke_report(collect(booted(tmp_path)), tmp_path)
    assert passed and report.startswith("smoke PASS")
    assert "smoke: pair" in report
    (tmp_path / "smoke.json").write_text(json.dumps({"verdict": "FAIL", "steps": {}}))
    passed, report = smoke_report(collect(booted(tmp_path)), tmp_path)
    assert not passed and report.startswith("smoke FAIL")


@pytest.mark.guest
@pytest.mark.timeout(900)
@pytest.mark.skipif(os.environ.get("IQOS_HIL_GUEST") != "1", reason="set IQOS_HIL_GUEST=1")
def test_smoke_passes_in_a_real_guest(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.guest", "smoke", "--results", str(tmp_path / "results")],
        cwd=ROOT, capture_output=True, text=True, timeout=880, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "smoke PASS" in done.stdout
    smoke = json.loads((tmp_path / "results" / "smoke.json").read_text())
    assert set(smoke["steps"]) >= {"scan", "connect", "read", "pair"}


@pytest.mark.parametrize(
    ("codes", "worst"),
    [([0, 0], 0), ([1, 0], 1), ([0, 5], 0), ([1, 5], 1), ([5, 5], 5), ([125, 1], 125)],
)
def test_a_shard_that_selected_nothing_does_not_hide_the_others_outcome(
    codes: list[int], worst: int
) -> None:
    assert worst_exit_code(codes) == worst


def test_the_guests_bluetoothd_runs_with_its_own_configuration_without_eatt() -> None:
    """A real IQOS has one ATT bearer; closing an EATT channel froze bluetoothd 5.66
    (docs/bluez-lane.md, learned 19). The host's main.conf must not decide."""
    conf = STAGE2.parent / "main.conf"
    parser = configparser.ConfigParser()
    parser.read_string(conf.read_text())
    assert parser.getint("GATT", "Channels") == 1
    assert parser.getboolean("Policy", "AutoEnable")
    assert '-f "$ROOT/harness/guest/main.conf"' in STAGE2.read_text()
