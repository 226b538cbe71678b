"""The bluez target's set-up errors, without BlueZ (the target itself runs in the
bluez lane: tox -e bluez)."""

import asyncio

import pytest

from harness.tags import Ability
from harness.targets.base import TargetError
from harness.targets.bluez import BTMON_CAPTURE, CLIENT_ADAPTER, DEVICE_ADAPTERS, BluezTarget
from harness.targets.btmon import (
    HEADER,
    LINKTYPE_BLUETOOTH_LINUX_MONITOR,
    MAGIC,
    MONITOR_PSEUDO_HEADER,
    PCAP_HEADER,
    PCAP_MAGIC_US,
    PCAP_RECORD,
    RECORD,
    UNIX_EPOCH_US,
    records,
    since,
)


def test_adapters_come_from_the_environment() -> None:
    target = BluezTarget.from_environment({DEVICE_ADAPTERS: "hci0,hci1", CLIENT_ADAPTER: "hci2"})
    assert target.device_adapters == ["hci0", "hci1"]
    assert target.client_options() == {"adapter": "hci2", "timeout": 5.0, "scan_window": 0.15}
    assert Ability.SEVERAL_DEVICES in target.abilities
    assert Ability.STALE_BOND_RECOVERY not in target.abilities


def test_one_device_adapter_means_one_device_at_a_time() -> None:
    target = BluezTarget.from_environment({DEVICE_ADAPTERS: "hci0", CLIENT_ADAPTER: "hci1"})
    assert target.missing_abilities({"several_devices", "holder"}) == {"several_devices"}


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {DEVICE_ADAPTERS: "hci0"},
        {CLIENT_ADAPTER: "hci1"},
        {DEVICE_ADAPTERS: ",", CLIENT_ADAPTER: "hci1"},
    ],
)
def test_missing_adapters_say_how_to_run_the_target(environment: dict[str, str]) -> None:
    with pytest.raises(TargetError, match="tox -e bluez"):
        BluezTarget.from_environment(environment)


def test_each_pytest_worker_takes_its_own_adapters() -> None:
    environment = {
        DEVICE_ADAPTERS: "hci0,hci1,hci2,hci3",
        CLIENT_ADAPTER: "hci4,hci5",
        "PYTEST_XDIST_WORKER_COUNT": "2",
    }
    first = BluezTarget.from_environment(environment | {"PYTEST_XDIST_WORKER": "gw0"})
    second = BluezTarget.from_environment(environment | {"PYTEST_XDIST_WORKER": "gw1"})
    assert (first.device_adapters, first.client_adapter) == (["hci0", "hci2"], "hci4")
    assert (second.device_adapters, second.client_adapter) == (["hci1", "hci3"], "hci5")
    with pytest.raises(TargetError, match="3 pytest workers need 3 adapters"):
        BluezTarget.from_environment(environment | {"PYTEST_XDIST_WORKER_COUNT": "3"})


def test_the_client_cannot_share_a_devices_adapter() -> None:
    with pytest.raises(TargetError, match="cannot serve both"):
        BluezTarget(["hci0", "hci1"], "hci1")


def test_without_a_system_bus_the_target_says_bluez_is_not_usable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/iqos-hil-bus")
    target = BluezTarget(["hci0"], "hci1")
    with pytest.raises(TargetError, match="BlueZ is not usable: no D-Bus system bus"):
        asyncio.run(target.start())


def test_a_scenario_gets_the_records_of_the_live_capture_since_it_started() -> None:
    header = HEADER.pack(MAGIC, 1, 2001)

    def record(unix_seconds: float, packet: bytes) -> bytes:
        stamp = UNIX_EPOCH_US + round(unix_seconds * 1_000_000)
        return RECORD.pack(len(packet), len(packet), 0, 0, stamp) + packet

    before, during, later = record(99.5, b"old"), record(100.0, b"mine"), record(100.2, b"too")
    torn = record(100.3, b"cut")[:-1]
    assert since(header + before + during + later + torn, 100.0) == header + during + later
    assert since(header, 100.0) == header
    with pytest.raises(ValueError, match="not a btsnoop or Bluetooth-monitor pcap capture"):
        since(b"hello", 100.0)


def test_a_tcpdump_capture_of_the_monitor_becomes_the_scenarios_btsnoop() -> None:
    """The guest records with tcpdump (pcap, Linux monitor link type); the evidence is
    btsnoop with btmon's monitor flags: controller index above, opcode below."""
    header = PCAP_HEADER.pack(PCAP_MAGIC_US, 2, 4, 0, 0, 262144, LINKTYPE_BLUETOOTH_LINUX_MONITOR)

    def packet(seconds: int, micros: int, index: int, opcode: int, data: bytes) -> bytes:
        body = MONITOR_PSEUDO_HEADER.pack(index, opcode) + data
        return PCAP_RECORD.pack(seconds, micros, len(body), len(body)) + body

    before = packet(99, 999_999, 0, 2, b"\x01\x03\x0c\x00")
    event = packet(100, 0, 1, 3, b"\x0e\x04\x01\x03\x0c\x00")
    acl = packet(100, 250_000, 1, 5, b"\x2a\x20\x05\x00")
    torn = packet(100, 300_000, 1, 5, b"cut")[:-2]
    cut = since(header + before + event + acl + torn, 100.0)
    assert cut[: HEADER.size] == HEADER.pack(MAGIC, 1, 2001)
    kept = list(records(cut))
    assert [(r.unix_us, r.index, r.opcode, r.data) for r in kept] == [
        (100_000_000, 1, 3, b"\x0e\x04\x01\x03\x0c\x00"),
        (100_250_000, 1, 5, b"\x2a\x20\x05\x00"),
    ]
    first = RECORD.unpack_from(cut, HEADER.size)
    assert first == (6, 6, (1 << 16) | 3, 0, UNIX_EPOCH_US + 100_000_000)
    ethernet = PCAP_HEADER.pack(PCAP_MAGIC_US, 2, 4, 0, 0, 262144, 1)
    with pytest.raises(ValueError, match="not a btsnoop or Bluetooth-monitor pcap"):
        since(ethernet, 100.0)


def test_the_live_capture_comes_from_the_environment() -> None:
    environment = {DEVICE_ADAPTERS: "hci0", CLIENT_ADAPTER: "hci1"}
    assert BluezTarget.from_environment(environment).btmon is None
    target = BluezTarget.from_environment(environment | {BTMON_CAPTURE: "/run/btmon.snoop"})
    assert str(target.btmon) == "/run/btmon.snoop"
    assert asyncio.run(target.capture()) is None  # no scenario yet
