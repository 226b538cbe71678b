"""Simulated devices on the virtual radio, driven through the client stack with real
ATT, GATT and SMP (bumble on both sides), for the reliability tests of issue 16.

Every test here has a deadline of its own and asserts, besides the typed error,
that the device is reachable by a fresh client afterwards and that the client's
radio is left with nothing running, connecting or connected. A test also fails
on any exception the event loop was left to report ("Task exception was never
retrieved", an exception in a callback): those are the traces a lost task leaves.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import pytest
import pytest_asyncio

from harness.bleak_backend import BumbleClient, BumbleScanner
from harness.targets.base import DeviceUnderTest
from harness.targets.virtual import VirtualTarget
from iqos.client import IqosClient
from simulator.radio.bumble_gatt import BumblePeripheral

T = TypeVar("T")

SLACK = 0.5
"""Seconds a call may overrun its deadline: scheduling on two shared cores."""

_BENIGN = "Host.on_hci_le_long_term_key_request_event.<locals>.send_long_term_key"
"""bumble's host answers a Long Term Key request in a task of its own; when the link
drops before the answer reaches the controller (a client gave up while the link was
being encrypted), the controller says Unknown Connection Identifier and that task
ends with an HCI_Error nobody retrieves. It is the peripheral's stack, as a real
one would, seeing the link go; nothing is left behind."""


def options(timeout: float) -> dict[str, Any]:
    return {"client_backend": BumbleClient, "scanner_backend": BumbleScanner, "timeout": timeout}


def peripheral_of(target: VirtualTarget, dut: DeviceUnderTest) -> BumblePeripheral:
    (peripheral,) = [p for p in target._peripherals if p.device.address == dut.address]
    return peripheral


async def timed(call: Awaitable[T]) -> tuple[BaseException | T, float]:
    """The outcome of `call` (its result or what it raised) and the seconds it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        outcome: BaseException | T = await call
    except Exception as error:
        outcome = error
    return outcome, loop.time() - start


def simulator_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the simulator logged as an error: a model that failed on a request."""
    return [r.getMessage() for r in caplog.records if r.name.startswith("simulator")]


async def reachable(target: VirtualTarget, dut: DeviceUnderTest, paired: bool) -> None:
    """A fresh client connects and reads (the battery, encrypted, when bonded)."""
    fresh = IqosClient(dut.address, dut.model, **options(2.0))
    assert await fresh.serial(full=True) == peripheral_of(target, dut).device.profile.serial
    if paired:
        assert (await fresh.battery()).charger is not None
    await fresh.disconnect()


async def quiet(target: VirtualTarget) -> None:
    """Nothing of the client's radio is left running, initiating, scanning or linked."""
    radio = target.radio
    assert radio is not None
    async with asyncio.timeout(1.0):
        await radio.settled()
    central = await radio.central()
    assert not central.is_le_connecting
    assert not central.scanning
    assert not central.connections


@pytest_asyncio.fixture
async def target() -> AsyncIterator[VirtualTarget]:
    target = VirtualTarget()
    await target.start()
    yield target
    await target.stop()


@pytest_asyncio.fixture(autouse=True)
async def loop_errors() -> AsyncIterator[list[dict[str, Any]]]:
    """What the event loop was left to report during the test; must stay empty."""
    reported: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()

    def on_error(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        future = context.get("future")
        coroutine = future.get_coro() if isinstance(future, asyncio.Task) else None
        if getattr(coroutine, "__qualname__", "") != _BENIGN:
            reported.append(context)

    previous = loop.get_exception_handler()
    loop.set_exception_handler(on_error)
    yield reported
    gc.collect()  # a lost task's exception is reported when the task is collected
    loop.set_exception_handler(previous)
    assert not reported, [f"{c.get('message')}: {c.get('exception')!r}" for c in reported]
