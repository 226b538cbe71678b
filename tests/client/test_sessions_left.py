"""Sessions left on one charge, over the virtual radio: of the battery on a one-piece
device, of the holder on a two-piece one while the charger can see it."""

import pytest

from harness.targets.virtual import VirtualTarget
from iqos.client import IqosClient
from iqos.errors import NotSupported
from iqos.models import model_named
from tests.client.test_lock_and_brightness import OPTIONS, on_radio


@pytest.mark.parametrize(("model", "full"), [("IQOS 2.4 Plus", 1), ("IQOS 3 DUO", 2)])
def test_a_holder_counts_down_and_is_known_only_in_the_charger(model: str, full: int) -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named(model))
        client = IqosClient(device.address, device.model, **OPTIONS)
        await client.pair()
        assert await client.sessions_left() == full
        await device.hands.act("remove_holder")
        with pytest.raises(NotSupported, match="only while the holder is in the charger"):
            await client.sessions_left()
        await device.hands.act("start_heating")
        await device.hands.act("end_heating")
        await device.hands.act("insert_holder")
        assert await client.sessions_left() == full - 1

    on_radio(scenario)


def test_a_one_piece_counts_its_battery() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 Multi"))
        client = IqosClient(device.address, device.model, **OPTIONS)
        await client.pair()
        assert await client.sessions_left() == 10
        await device.hands.act("start_heating")
        await device.hands.act("end_heating")
        assert await client.sessions_left() == 9

    on_radio(scenario)
