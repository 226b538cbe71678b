"""The control socket under random traffic: every line gets one reply, and the device
still answers a valid request after each phase, for each model."""

from __future__ import annotations

import asyncio
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from simulator.clock import SimulatedClock
from simulator.control import Control, serve_control
from simulator.device import SimulatedDevice
from simulator.faults import CATALOGUE
from simulator.profile import load_profiles

REQUESTS_PER_PHASE = 400
OPS = ["devices", "faults", "state", "inject", "clear", "set_battery", "act", "teleport", ""]
VALUES: list[Any] = [None, True, -1, 0, 7, 10**30, 1.5, -0.0, "", "x" * 300, [], {}, [1], {"a": 1}]


def random_value(rng: random.Random, device: SimulatedDevice) -> Any:
    return rng.choice(
        [*VALUES, device.address, device.address.lower(), device.name, rng.choice(list(CATALOGUE))]
    )


def random_json(rng: random.Random, device: SimulatedDevice) -> bytes:
    message: dict[str, Any] = {"op": rng.choice(OPS)}
    for key in rng.sample(["device", "fault", "part", "level", "action", "parameters"], 3):
        message[key] = random_value(rng, device)
    if rng.random() < 0.3:
        message["parameters"] = {"seconds": rng.choice([1, 0.5, -3, "5", None, 1e308])}
    return json.dumps(message).encode()


def random_bytes(rng: random.Random) -> bytes:
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))).replace(b"\n", b" ")


async def phase(rng: random.Random, device: SimulatedDevice, path: Path) -> None:
    reader, writer = await asyncio.open_unix_connection(str(path))
    for number in range(REQUESTS_PER_PHASE):
        line = random_json(rng, device) if number % 2 else random_bytes(rng)
        writer.write(line + b"\n")
        reply = json.loads(await asyncio.wait_for(reader.readline(), 5))
        assert isinstance(reply["ok"], bool), line[:80]
    writer.write(json.dumps({"op": "state", "device": device.address}).encode() + b"\n")
    state = json.loads(await asyncio.wait_for(reader.readline(), 5))
    writer.close()
    assert state["ok"] is True, state


@pytest.mark.parametrize("model", sorted(load_profiles()))
def test_random_requests_never_cost_the_connection_or_the_device(
    tmp_path: Path, model: str
) -> None:
    profile = load_profiles()[model]
    device = SimulatedDevice(profile, SimulatedClock(), "C0:11:22:33:44:55")
    path = tmp_path / "control.sock"
    rng = random.Random(f"control-fuzz-{model}")

    async def scenario() -> None:
        async with await serve_control(Control([device]), path):
            for _ in range(3):
                await phase(rng, device, path)

    asyncio.run(scenario())
    assert math.isfinite(device.clock.now)
