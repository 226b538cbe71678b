"""A bench file is checked whole when it loads: every mistake is named with its key."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.bench import BenchError, load_bench

DEVICE = "{name: a, model: iqos-3-duo, address: 'AA:BB:CC:DD:EE:01'}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("devices: []", "bench.devices: [] should be non-empty"),
        (
            "devices:\n  - {name: a, model: iqos-3-duo}",
            "bench.devices.0: 'address' is a required property",
        ),
        (
            "devices:\n  - {name: a, model: iqos-9, address: 'AA:BB:CC:DD:EE:FF'}",
            "bench.devices.0.model: unknown model 'iqos-9'; known: iqos-2.4-plus",
        ),
        (
            "devices:\n  - {name: a, model: iqos-3-duo, address: nowhere}",
            "bench.devices.0.address: 'nowhere' is not a BLE address like AA:BB:CC:DD:EE:FF",
        ),
        (
            f"adapter: hci0\nrobots: 2\ndevices: [{DEVICE}]",
            "bench: Additional properties are not allowed ('robots' was unexpected)",
        ),
        ("devices: [", "not valid YAML"),
        ("- a list\n", "bench: ['a list'] is not of type 'object'"),
        (f"adapter: [hci0]\ndevices: [{DEVICE}]", "bench.adapter: ['hci0'] is not of type"),
        (
            "devices:\n  - {name: [a], model: iqos-3-duo, address: 'AA:BB:CC:DD:EE:01'}",
            "bench.devices.0.name: ['a'] is not of type 'string'",
        ),
        (f"scan_window: 0\ndevices: [{DEVICE}]", "bench.scan_window: 0 is less than or equal"),
        (f"scan_window: soon\ndevices: [{DEVICE}]", "bench.scan_window: 'soon' is not of type"),
        (f"cannot:\n  teleport: not here\ndevices: [{DEVICE}]", "bench.cannot: 'teleport' is not"),
        (f"cannot: [several_devices]\ndevices: [{DEVICE}]", "bench.cannot: ['several_devices']"),
        (
            f"devices: [{DEVICE}, {DEVICE.replace('name: a', 'name: b')}]",
            "bench.devices: address AA:BB:CC:DD:EE:01 is listed twice",
        ),
        (
            f"devices: [{DEVICE}, {DEVICE.replace('01', '02')}]",
            "bench.devices: name a is listed twice",
        ),
    ],
)
def test_a_bad_bench_file_names_file_key_and_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text(text)
    with pytest.raises(BenchError, match=re.escape(f"{path}: ")) as raised:
        load_bench(path)
    assert message in str(raised.value)


def test_a_bench_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_bytes(f"# B\xe9ne\ndevices: [{DEVICE}]\n".encode("latin-1"))
    with pytest.raises(BenchError, match=re.escape(f"{path}: not UTF-8 text")):
        load_bench(path)


def test_models_are_named_by_profile_key_or_display_name_and_addresses_in_any_case(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text(
        "devices:\n"
        "  - {name: a, model: iqos-3-duo, address: 'aa:bb:cc:dd:ee:01'}\n"
        "  - {name: b, model: IQOS 3 Multi, address: 'AA:BB:CC:DD:EE:02'}\n"
    )
    bench = load_bench(path)
    assert [device.model.key for device in bench.devices] == ["iqos-3-duo", "iqos-3-multi"]
    assert bench.allowed_addresses == {"AA:BB:CC:DD:EE:01", "AA:BB:CC:DD:EE:02"}


ROOT = Path(__file__).resolve().parents[2]


def test_a_bad_bench_is_one_usage_error_before_any_scenario(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text("devices:\n  - {name: a, model: iqos-9, address: 'AA:BB:CC:DD:EE:01'}\n")
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "features",
            "--target",
            "hardware",
            "--bench",
            str(path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 4
    assert f"ERROR: {path}: bench.devices.0.model: unknown model 'iqos-9'" in answer.stderr


LAB = ROOT / "fixtures" / "benches" / "lab.yaml"


def iqos_hil_on_the_lab_bench(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "--target",
            "hardware",
            "--bench",
            str(LAB),
            *list(arguments),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_address_off_the_bench_is_refused_at_once_with_exit_9() -> None:
    answer = iqos_hil_on_the_lab_bench("--address", "12:34:56:78:9a:bc", "diag")
    assert answer.returncode == 9
    assert answer.stderr.strip() == (
        "iqos-hil: not on the bench: refused: 12:34:56:78:9A:BC is not on the bench"
    )


@pytest.mark.skipif(Path("/run/dbus/system_bus_socket").exists(), reason="this machine has D-Bus")
def test_the_hardware_target_without_bluez_is_one_line_with_exit_10() -> None:
    answer = iqos_hil_on_the_lab_bench("scan")
    assert answer.returncode == 10
    assert answer.stderr.startswith("iqos-hil: no Bluetooth stack to use: ")
    assert len(answer.stderr.strip().splitlines()) == 1
