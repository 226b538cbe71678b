"""The lock and brightness writes over the virtual radio: the frames public clients
send (docs/protocol.md), the state the simulated device keeps, and the client's own
read-back; a model without the capability is told so before anything is sent."""

import pytest

from harness.targets.virtual import VirtualTarget
from iqos.client import IqosClient
from iqos.errors import BadAnswer, NotSupported
from iqos.models import model_named
from iqos.protocol.registers import BRIGHTNESS_HIGH, BRIGHTNESS_LOW
from iqos.protocol.transcript import Direction, Transcript
from tests.virtual_radio import OPTIONS, on_radio, simulated


def written(transcript: Transcript) -> list[str]:
    """The control point writes, as hex, in the order the client sent them."""
    return [
        entry.data.hex(" ").upper()
        for entry in transcript.entries
        if entry.direction is Direction.WRITE
    ]


@pytest.mark.parametrize("model", ["IQOS 2.4 Plus", "IQOS 3 DUO"])
def test_lock_and_unlock_are_read_back(model: str) -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named(model))
        transcript = Transcript()
        client = IqosClient(device.address, device.model, transcript=transcript, **OPTIONS)
        await client.pair()
        await client.set_locked(True)
        assert simulated(target).locked
        await client.set_locked(False)
        assert not simulated(target).locked
        assert written(transcript)[-4:] == [
            "00 C9 44 04 02 FF 00 00 5A",
            "00 C9 00 04 1C",
            "00 C9 44 04 00 00 00 00 5D",
            "00 C9 00 04 1C",
        ]
        await client.set_locked(True)
        assert await client.locked()

    on_radio(scenario)


def test_a_lock_the_device_echoes_but_does_not_take_is_a_bad_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The echo alone would let the app show a lock the device does not have."""

    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        client = IqosClient(device.address, device.model, **OPTIONS)
        await client.pair()
        stuck = simulated(target)
        monkeypatch.setattr(type(stuck), "locked", property(lambda _: False, lambda *_: None))
        with pytest.raises(BadAnswer, match="echoed the lock write but is not locked"):
            await client.set_locked(True)

    on_radio(scenario)


@pytest.mark.parametrize(
    ("model", "frames"),
    [
        ("IQOS 2.4 Plus", ["00 C0 46 23 1E 00 00 00 E1", "00 C9 44 24 1E 00 00 00 9A"]),
        ("IQOS 3 DUO", ["00 C0 46 23 1E 00 00 00 E1", "00 C9 44 24 1E 00 00 00 9A"]),
    ],
)
def test_brightness_goes_to_the_charger_then_the_holder(model: str, frames: list[str]) -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named(model))
        transcript = Transcript()
        client = IqosClient(device.address, device.model, transcript=transcript, **OPTIONS)
        await client.pair()
        assert (await client.brightness(), await client.holder_brightness()) == (
            BRIGHTNESS_HIGH,
            BRIGHTNESS_HIGH,
        )
        await client.set_brightness(BRIGHTNESS_LOW)
        assert written(transcript)[-2:] == frames
        assert (await client.brightness(), await client.holder_brightness()) == (
            BRIGHTNESS_LOW,
            BRIGHTNESS_LOW,
        )
        state = simulated(target)
        assert (state.brightness, state.holder_brightness) == (BRIGHTNESS_LOW, BRIGHTNESS_LOW)
        await client.set_brightness(BRIGHTNESS_HIGH)
        assert await client.brightness() == BRIGHTNESS_HIGH

    on_radio(scenario)


def test_a_multi_has_no_lock_or_brightness_and_nothing_is_sent() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 Multi"))
        transcript = Transcript()
        client = IqosClient(device.address, device.model, transcript=transcript, **OPTIONS)
        await client.pair()
        for call, what in (
            (client.set_locked(True), "lock"),
            (client.set_brightness(BRIGHTNESS_LOW), "brightness"),
        ):
            with pytest.raises(NotSupported, match=f"{what} is not supported by IQOS 3 Multi"):
                await call
        assert written(transcript) == []

    on_radio(scenario)
