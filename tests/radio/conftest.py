"""Fixtures for the virtual radio and the bleak API contract.

The contract tests (test_contract.py) use only the public bleak API; the backend
comes from the `scanner_backend` and `client_backend` fixtures, and the device
from `peripheral`. Where the bluez target's adapters are set (in the QEMU guest:
`tox -e contract`), those fixtures give stock bleak's BlueZ backend on the
client adapter and a bless peripheral on a device adapter instead, so the same
tests check stock bleak over BlueZ. Only test_contract.py runs there; the other
radio tests are about the virtual radio itself. Tests here are asyncio tests
(pytest-asyncio >= 1.0 in strict mode: each module marks itself with
`pytest.mark.asyncio`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

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


ON_BLUEZ = bool(os.environ.get("IQOS_BLUEZ_CLIENT_ADAPTER"))
"""Set in the guest: the contract runs against stock bleak over BlueZ."""


def on_bluez(reason: str) -> pytest.MarkDecorator:
    """Marks a contract test that stock bleak over BlueZ cannot meet, with the reason."""
    return pytest.mark.skipif(ON_BLUEZ, reason=f"stock bleak over BlueZ: {reason}")


@pytest.fixture
def scanner_backend(request: pytest.FixtureRequest) -> type[BaseBleakScanner]:
    if ON_BLUEZ:
        from tests.radio.bluez_backends import client_adapter_scanner

        return client_adapter_scanner()
    request.getfixturevalue("radio")
    return BumbleScanner


@pytest.fixture
def client_backend(request: pytest.FixtureRequest) -> type[BaseBleakClient]:
    if ON_BLUEZ:
        from tests.radio.bluez_backends import client_adapter_client

        return client_adapter_client()
    request.getfixturevalue("radio")
    return BumbleClient


async def _bare(request: pytest.FixtureRequest, index: int, **options: Any) -> AsyncIterator[Any]:
    """A bare peripheral: bumble on the test's link, or bless on the index-th device
    adapter when on BlueZ (forgotten on both sides afterwards)."""
    label = options.pop("label")
    if not ON_BLUEZ:
        link: VirtualLink = request.getfixturevalue("link")
        peripheral = BarePeripheral(link.add_device(label), **options)
        await peripheral.start()
        yield peripheral
        return
    from tests.radio.bluez_backends import bless_peripheral

    async with bless_peripheral(index, **options) as served:
        yield served


@pytest_asyncio.fixture
async def peripheral(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async for served in _bare(request, 0, label="peripheral"):
        yield served


@pytest_asyncio.fixture
async def passkey_peripheral(link: VirtualLink) -> BarePeripheral:
    """A peripheral with a display: pairing with it is MITM-protected (passkey entry)."""
    peripheral = BarePeripheral(link.add_device("display"), name="hild", passkey=True)
    await peripheral.start()
    return peripheral


@pytest_asyncio.fixture
async def other_peripheral(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async for served in _bare(
        request, 1, label="other", name="hilo", service_uuid=OTHER_SERVICE_UUID
    ):
        yield served
