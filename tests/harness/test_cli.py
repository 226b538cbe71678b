"""`iqos-hil` given bad input: one line naming the value and what is valid, exit 2,
before any simulator starts or any scan; and an address in any case finds its device."""

import argparse
import asyncio
import subprocess
import sys
from typing import Any

import pytest
from bleak.backends.device import BLEDevice

import harness.cli
import iqos.cli
from iqos.discovery import DiscoveredDevice
from iqos.models import model_named
from iqos.protocol import PairingState


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--fault", "nope", "diag"),
            "iqos-hil: argument --fault: unknown fault 'nope'; IQOS 3 DUO takes: ambient_too_cold",
        ),
        (
            ("--model", "IQOS 3 Multi", "--fault", "cleaning_needed", "diag"),
            "iqos-hil: argument --fault: IQOS 3 Multi cannot have fault 'cleaning_needed'; "
            "IQOS 3 Multi takes: ambient_too_cold, ambient_too_hot, charger_defect",
        ),
        (
            ("--model", "IQOS 9", "diag"),
            "iqos-hil: argument --model: unknown model 'IQOS 9'; "
            "known: IQOS 2.4 Plus, IQOS 3 DUO, IQOS 3 Multi",
        ),
        (
            ("--address", "nope", "diag"),
            "iqos-hil: argument --address: 'nope' is not a BLE address; "
            "one looks like AA:BB:CC:DD:EE:FF",
        ),
        (
            ("--address", "AA:BB:CC:DD:EE", "scan"),
            "iqos-hil: argument --address: 'AA:BB:CC:DD:EE' is not a BLE address",
        ),
        (
            ("--address", "aa:bb:cc:dd:ee:zz", "pair"),
            "iqos-hil: argument --address: 'aa:bb:cc:dd:ee:zz' is not a BLE address",
        ),
        (("teleport",), "iqos-hil: argument command: invalid choice: 'teleport' (choose from"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [("--address", "C8-12-34-56-78-9A", "status"), ("--fault", "nope", "diag")],
)
def test_bad_arguments_are_refused_before_any_scan_or_simulator(
    monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    async def no_scan(*args: Any, **kwargs: Any) -> list[DiscoveredDevice]:
        raise AssertionError("scanned with a bad argument")

    async def no_simulator(self: object) -> None:
        raise AssertionError("started a simulator with a bad argument")

    monkeypatch.setattr(iqos.cli, "discover", no_scan)
    monkeypatch.setattr("harness.targets.virtual.VirtualTarget.start", no_simulator)
    with pytest.raises(SystemExit) as exited:
        harness.cli.main(list(args))
    assert exited.value.code == 2


def test_an_address_in_lower_case_finds_its_device(monkeypatch: pytest.MonkeyPatch) -> None:
    address = "C8:12:34:56:78:9A"
    seen = DiscoveredDevice(
        address=address,
        name="IQOS 3 DUO 789A",
        model=model_named("IQOS 3 DUO"),
        rssi=-50,
        pairing_state=PairingState.PAIRING_MODE,
        ble_device=BLEDevice(address, "IQOS 3 DUO 789A", None),
    )
    paired: list[str] = []

    async def discover(scan_seconds: float, until: Any = None, **options: Any) -> list[Any]:
        assert until({address: seen}), "the scan stops once the named device is seen"
        return [seen]

    class Client:
        def __init__(self, address: str, model: object, **options: Any) -> None:
            self.address = address

        async def pair(self) -> None:
            paired.append(self.address)

        async def disconnect(self) -> None:
            pass

    monkeypatch.setattr(iqos.cli, "discover", discover)
    monkeypatch.setattr(iqos.cli, "IqosClient", Client)
    parser = argparse.ArgumentParser()
    iqos.cli.add_device_arguments(parser)
    args = parser.parse_args(["pair", "--address", address.lower()])
    assert asyncio.run(iqos.cli.execute(args, {})) == 0
    assert paired == [address]
