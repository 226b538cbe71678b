"""`discover` in windows (`scan_window`): a scan that has not seen enough starts
again, keeping what earlier windows heard, never past its `scan_seconds`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

import iqos.discovery
from iqos.discovery import discover
from iqos.protocol.uuids import RRP_SERVICE

DUO, MULTI = "00:AA:01:00:00:00", "00:AA:01:01:00:01"


class Radio:
    """A fake BleakScanner: the Nth scan hears the addresses the script gives it, as
    soon as it starts; the radio counts the scans started and stopped."""

    def __init__(self, *scans: list[str]) -> None:
        self.scans = list(scans)
        self.started = self.stopped = 0

    def __call__(self, callback: Callable[..., None], **_: Any) -> Radio:
        self.callback = callback
        return self

    async def __aenter__(self) -> None:
        self.started += 1
        for address in self.scans.pop(0) if self.scans else []:
            advertisement = AdvertisementData("IQOS 3 DUO", {}, {}, [RRP_SERVICE], None, -50, ())
            self.callback(BLEDevice(address, "IQOS 3 DUO", None), advertisement)

    async def __aexit__(self, *_: object) -> None:
        self.stopped += 1


@pytest.fixture
def on_radio(monkeypatch: pytest.MonkeyPatch) -> Callable[[Radio], None]:
    return lambda radio: monkeypatch.setattr(iqos.discovery, "BleakScanner", radio)


def scan(wanted: set[str], seconds: float, window: float | None) -> list[str]:
    found = asyncio.run(
        discover(seconds, until=lambda seen: wanted <= set(seen), scan_window=window)
    )
    return sorted(device.address for device in found)


def test_without_a_window_it_scans_once(on_radio: Callable[[Radio], None]) -> None:
    radio = Radio([], [DUO])
    on_radio(radio)
    assert scan({DUO}, 0.05, None) == []
    assert (radio.started, radio.stopped) == (1, 1)


def test_a_window_that_saw_too_little_is_followed_by_a_new_scan(
    on_radio: Callable[[Radio], None],
) -> None:
    radio = Radio([], [], [DUO])
    on_radio(radio)
    assert scan({DUO}, 3.0, 0.01) == [DUO]
    assert (radio.started, radio.stopped) == (3, 3)


def test_what_earlier_windows_heard_is_kept(on_radio: Callable[[Radio], None]) -> None:
    radio = Radio([DUO], [], [MULTI])
    on_radio(radio)
    assert scan({DUO, MULTI}, 3.0, 0.01) == [DUO, MULTI]
    assert radio.started == 3


def test_the_windows_end_at_the_deadline(on_radio: Callable[[Radio], None]) -> None:
    radio = Radio()
    on_radio(radio)
    began = time.monotonic()
    assert scan({DUO}, 0.05, 0.02) == []
    assert 0.05 <= time.monotonic() - began < 0.5
    assert radio.started == radio.stopped >= 2
