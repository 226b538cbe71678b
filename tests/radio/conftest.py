"""Fixtures for the virtual radio and the bleak API contract.

The contract tests (test_contract.py) use only the public bleak API; the backend
comes from the `scanner_backend` and `client_backend` fixtures, and the device
from `peripheral`, so the same tests can later run on stock bleak over BlueZ by
overriding those fixtures. Tests here are asyncio tests (pytest-asyncio >= 1.0
in strict mode: each module marks itself with `pytest.mark.asyncio`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner

from harness.bleak_backend import BumbleClient, BumbleScanner, use_link
from harness.bleak_backend.radio import ClientRadio
from simulator.radio.link import VirtualLink
from tests.radio.peripheral import OTHER_SERVICE_UUID, BarePeripheral


@pytest_asyncio.fixture
async def link() -> AsyncIterator[VirtualLink]:
    link = VirtualLink()
    yield link
    for controller in list(link.controllers):
        link.remove_controller(controller)


@pytest_asyncio.fixture
async def radio(link: VirtualLink) -> AsyncIterator[ClientRadio]:
    """The backend's adapter on this test's link (the harness does the same per session)."""
    radio = use_link(link)
    assert radio is not None
    yield radio
    use_link(None)


@pytest.fixture
def scanner_backend(radio: ClientRadio) -> type[BaseBleakScanner]:
    return BumbleScanner


@pytest.fixture
def client_backend(radio: ClientRadio) -> type[BaseBleakClient]:
    return BumbleClient


@pytest_asyncio.fixture
async def peripheral(link: VirtualLink) -> BarePeripheral:
    peripheral = BarePeripheral(link.add_device("peripheral"))
    await peripheral.start()
    return peripheral


@pytest_asyncio.fixture
async def passkey_peripheral(link: VirtualLink) -> BarePeripheral:
    """A peripheral with a display: pairing with it is MITM-protected (passkey entry)."""
    peripheral = BarePeripheral(link.add_device("display"), name="hild", passkey=True)
    await peripheral.start()
    return peripheral


@pytest_asyncio.fixture
async def other_peripheral(link: VirtualLink) -> BarePeripheral:
    peripheral = BarePeripheral(
        link.add_device("other"), name="hilo", service_uuid=OTHER_SERVICE_UUID
    )
    await peripheral.start()
    return peripheral
