"""The app's scan in windows (`Target.scan_window`): started again until every wanted
device is heard, keeping what earlier windows heard, never past its deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from unittest.mock import MagicMock

import pytest

import harness.app
from harness.app import scan_until_heard
from iqos.discovery import DiscoveredDevice
from iqos.protocol import PairingState

DUO, MULTI = "00:AA:01:00:00:00", "00:AA:01:01:00:01"


def heard(address: str) -> DiscoveredDevice:
    return DiscoveredDevice(address, "IQOS", None, -50, PairingState.PAIRING_MODE, MagicMock())


class Radio:
    """A fake `discover`: each scan hears what the script gives it, at once, or
    nothing for the whole window."""

    def __init__(self, *scans: list[str]) -> None:
        self.scans = list(scans)
        self.windows: list[float] = []

    async def __call__(
        self, seconds: float, until: Callable[[dict[str, Any]], bool], **options: Any
    ) -> list[DiscoveredDevice]:
        self.windows.append(seconds)
        addresses = self.scans.pop(0) if self.scans else []
        found = {address: heard(address) for address in addresses}
        if not (found and until(found)):
            await asyncio.sleep(seconds)
        return list(found.values())


@pytest.fixture
def on_radio(monkeypatch: pytest.MonkeyPatch) -> Callable[[Radio], None]:
    return lambda radio: monkeypatch.setattr(harness.app, "discover", radio)


def scan(radio: Radio, wanted: set[str], seconds: float, window: float | None) -> list[str]:
    found = asyncio.run(scan_until_heard(wanted, seconds, window, {}))
    return [device.address for device in found]


def test_without_a_window_the_app_scans_once(on_radio: Callable[[Radio], None]) -> None:
    radio = Radio([], [DUO])
    on_radio(radio)
    assert scan(radio, {DUO}, 0.2, None) == []
    assert radio.windows == [0.2]


def test_a_window_that_heard_nothing_is_followed_by_a_new_scan(
    on_radio: Callable[[Radio], None],
) -> None:
    radio = Radio([], [], [DUO])
    on_radio(radio)
    assert scan(radio, {DUO}, 3.0, 0.01) == [DUO]
    assert radio.windows == [0.01, 0.01, 0.01]


def test_devices_heard_in_earlier_windows_are_kept_until_all_are_heard(
    on_radio: Callable[[Radio], None],
) -> None:
    radio = Radio([DUO], [], [MULTI])
    on_radio(radio)
    assert sorted(scan(radio, {DUO, MULTI}, 3.0, 0.01)) == [DUO, MULTI]
    assert len(radio.windows) == 3


def test_the_scan_ends_at_its_deadline_when_a_device_is_never_heard(
    on_radio: Callable[[Radio], None],
) -> None:
    radio = Radio()
    on_radio(radio)
    assert scan(radio, {DUO}, 0.05, 0.02) == []
    assert sum(radio.windows) == pytest.approx(0.05, abs=0.01)
    assert radio.windows[-1] <= 0.02
