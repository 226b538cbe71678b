"""A test body run against simulated devices on the virtual radio, with the options
that put the client on the harness' bleak backend over bumble."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from harness.bleak_backend import BumbleClient, BumbleScanner
from harness.targets.virtual import VirtualTarget
from harness.virtual_time import VirtualTimeLoop
from simulator.device import SimulatedDevice

OPTIONS: dict[str, Any] = {
    "client_backend": BumbleClient,
    "scanner_backend": BumbleScanner,
    "timeout": 1.0,
}


def on_radio(test: Callable[[VirtualTarget], Awaitable[None]], virtual_time: bool = False) -> None:
    """`virtual_time`: as the feature suite runs, so scans that find nothing and connects
    that time out pass at once."""

    async def run() -> None:
        target = VirtualTarget()
        await target.start()
        try:
            await asyncio.wait_for(test(target), 30)
        finally:
            await target.stop()

    if not virtual_time:
        asyncio.run(run())
        return
    loop = VirtualTimeLoop()
    try:
        with loop.fast_forward():
            loop.run_until_complete(run())
    finally:
        loop.close()


def simulated(target: VirtualTarget) -> SimulatedDevice:
    """The newest device the target provided, as the simulator holds it."""
    return target._peripherals[-1].device
