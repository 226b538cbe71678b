"""Scans for one device in windows (`scan_window`): started again until the device
is heard, within one deadline; by the client before a connect, and by a bench's
app forgetting its device before each scenario."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import pytest
from bleak import BleakClient, BleakScanner

from harness.bench import load_bench
from harness.targets.hardware import forget_on_client
from iqos.client import IqosClient
from iqos.errors import NotAdvertising

ADDRESS = "00:AA:01:00:00:00"


class Radio:
    """A fake `find_device_by_address`: the device is heard by the Nth scan, at once;
    a scan that does not hear it lasts its whole timeout."""

    def __init__(self, heard_by: int | None) -> None:
        self.heard_by = heard_by
        self.timeouts: list[float] = []
        self.stopped = 0
        self.device = MagicMock(address=ADDRESS)

    async def __call__(self, address: str, timeout: float, **_: Any) -> Any:
        self.timeouts.append(timeout)
        if len(self.timeouts) == self.heard_by:
            return self.device
        await asyncio.sleep(timeout)
        await asyncio.sleep(0.01)  # bleak stopping the scan: StopDiscovery over D-Bus
        self.stopped += 1
        return None


@pytest.fixture
def radio(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Radio:
    fake = Radio(request.param)
    monkeypatch.setattr(BleakScanner, "find_device_by_address", fake)
    return fake


@pytest.mark.parametrize("radio", [3], indirect=True)
def test_a_window_that_did_not_hear_the_device_is_followed_by_a_new_scan(radio: Radio) -> None:
    client = IqosClient(ADDRESS, timeout=2.0, scan_window=0.01)
    assert asyncio.run(client._find()) is radio.device
    assert radio.timeouts == [0.01, 0.01, 0.01]


@pytest.mark.parametrize("radio", [None], indirect=True)
def test_the_windows_end_at_the_clients_deadline(radio: Radio) -> None:
    client = IqosClient(ADDRESS, timeout=0.05, scan_window=0.02)
    began = time.monotonic()
    with pytest.raises(NotAdvertising):
        asyncio.run(client._find())
    assert 0.05 <= time.monotonic() - began < 0.5
    assert all(timeout <= 0.02 for timeout in radio.timeouts)
    assert radio.stopped == len(radio.timeouts), "a scan was cut while bleak stopped it"


@pytest.mark.parametrize("radio", [2], indirect=True)
def test_without_a_window_the_client_scans_once_for_its_whole_deadline(radio: Radio) -> None:
    client = IqosClient(ADDRESS, timeout=0.05)
    with pytest.raises(NotAdvertising):
        asyncio.run(client._find())
    assert radio.timeouts == [pytest.approx(0.05, abs=0.001)]


@pytest.mark.parametrize("radio", [3], indirect=True)
def test_a_bench_app_forgets_its_device_after_scanning_in_the_benchs_windows(
    radio: Radio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forgotten: list[BleakClient] = []

    async def unpair(client: BleakClient) -> None:
        forgotten.append(client)

    monkeypatch.setattr(BleakClient, "unpair", unpair)
    path = tmp_path / "bench.yaml"
    path.write_text(
        f"adapter: hci1\nscan_window: 0.01\n"
        f"devices:\n  - {{name: duo, model: iqos-3-duo, address: '{ADDRESS}'}}\n"
    )
    bench = load_bench(path)
    asyncio.run(forget_on_client(bench, bench.devices[0]))
    assert radio.timeouts == [0.01, 0.01, 0.01]
    assert len(forgotten) == 1
