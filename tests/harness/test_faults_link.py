"""Link faults against the client's patience on every target, and against every kind
of request."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from harness.targets import bluez, virtual
from harness.targets.virtual import VirtualTarget
from iqos.client import IqosClient
from iqos.errors import Disconnected
from iqos.models import model_named
from iqos.protocol import Node
from iqos.protocol.registers import Register, read_request
from iqos.scp_channel import DEFAULT_TIMEOUT
from simulator.clock import SimulatedClock
from simulator.device import SimulatedDevice
from simulator.profile import find_profile
from simulator.radio.control_point import SLOW_ANSWER_SECONDS, ControlPoint


def test_a_slow_answer_is_late_but_well_inside_every_targets_timeout() -> None:
    """`slow_answers` must never look like `scp_no_answer`: the virtual target gives the
    client only a short wait, so the delay is held to half of the shortest one."""
    device = SimulatedDevice(find_profile("IQOS 3 DUO"), SimulatedClock(), "C0:11:22:33:44:55")
    control_point = ControlPoint(device)
    request = read_request(Node.CHARGER, Register.FIRMWARE_VERSION).encode()
    normal = control_point.write(request)
    device.inject("slow_answers")
    slow = control_point.write(request)
    assert normal is not None and slow is not None
    assert normal.delay == 0 < slow.delay == SLOW_ANSWER_SECONDS
    for timeout in (virtual.ANSWER_TIMEOUT, bluez.ANSWER_TIMEOUT, DEFAULT_TIMEOUT):
        assert slow.delay <= timeout / 2


@pytest.mark.parametrize(
    "read",
    [IqosClient.status, IqosClient.battery, IqosClient.serial],
    ids=["status", "battery", "serial number"],
)
def test_disconnect_after_operations_drops_the_link_on_any_read(
    read: Callable[[IqosClient], Awaitable[object]],
) -> None:
    """The fault's catalogue line says "the next request": a read is one, as an SCP
    request is, and the read fails as a disconnect, not as a refusal or a timeout."""

    async def scenario() -> None:
        target = VirtualTarget()
        await target.start()
        try:
            device = await target.provide(model_named("IQOS 3 DUO"))
            client = IqosClient(device.address, device.model, **target.client_options())
            await client.pair()
            await device.hands.inject("disconnect_after_operations")
            with pytest.raises(Disconnected):
                await read(client)
            assert not client.connected
            await device.hands.clear("disconnect_after_operations")
            await client.connect()
            await client.status()
            assert client.connected
        finally:
            await target.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))
