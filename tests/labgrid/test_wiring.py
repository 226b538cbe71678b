"""What a worker finds on a place it took: the adapter where the exporter publishes it,
the device, the power (cycled on taking, off on giving back) and the button held on
the simulator's clock; and how labgrid's own digital outputs make a button."""

from __future__ import annotations

import asyncio
from typing import Any

import attr
import pytest

pytest.importorskip("labgrid", reason="the labgrid lane's tests run in tox -e labgrid")

from labgrid.driver.common import Driver
from labgrid.factory import target_factory
from labgrid.protocol import DigitalOutputProtocol
from labgrid.target import Target

from harness.farm.drivers import DigitalOutputButtonDriver
from harness.farm.exporter import HciTcpAdapterExport
from harness.farm.simulated import SimulatedFarm
from harness.farm.strategy import Status
from harness.loop import SessionLoop
from simulator.control import request
from tests.labgrid.conftest import DUO, places

pytestmark = pytest.mark.timeout(90)


def test_a_taken_place_is_wired_powered_and_its_button_resets_the_device(
    farm: SimulatedFarm, loop: SessionLoop
) -> None:
    async def scenario() -> None:
        worker = places(farm, "ci.gw0.7")
        await worker.open()
        try:
            held = await worker.take(DUO)
            device = next(d for d in farm.devices if d.bench.place == held.name)
            wiring = held.wiring
            assert wiring.adapter.transport() == f"tcp-client:127.0.0.1:{device.hci_port}"
            assert (held.address, held.label) == (device.address, device.name)
            assert held.exporter == device.bench.exporter
            assert held.tags["model"] == "iqos-3-duo" and held.tags["holder"] == "yes"
            assert wiring.strategy.status is Status.on
            assert await asyncio.to_thread(wiring.power.get)
            asked = {"op": "act", "device": device.address, "action": "leave_pairing_mode"}
            assert not (await request(device.socket, asked))["pairing_mode"]
            assert wiring.button is not None
            await asyncio.to_thread(wiring.button.press_for, 10)
            state = await request(device.socket, {"op": "state", "device": device.address})
            assert state["pairing_mode"], "a 10 s hold resets the device"
            await worker.give_back(held)
            powered = await request(device.socket, {"op": "power", "device": device.address})
            assert powered == {"powered": False}, "a place given back is left powered off"
        finally:
            await worker.close()

    loop.run(scenario(), timeout=60)


def exported(address: str, exporter_host: str) -> dict[str, Any]:
    export = HciTcpAdapterExport(
        {"avail": False, "cls": "HciTcpAdapter", "params": {"port": 7001, "address": address}},
        host=exporter_host,
        proxy="bench-3.lab.example",
        proxy_required=False,
    )
    export.poll()
    return {"cls": export.cls, **export.params}


def test_the_exporter_publishes_the_bridge_where_workers_reach_it() -> None:
    on_every_address = exported("0.0.0.0", "bench-3")
    assert on_every_address["cls"] == "NetworkHciAdapter"
    assert (on_every_address["host"], on_every_address["port"]) == ("bench-3", 7001)
    assert not on_every_address["extra"]["proxy_required"]
    behind_ssh = exported("127.0.0.1", "bench-3")
    assert behind_ssh["host"] == "127.0.0.1"
    assert behind_ssh["extra"] == {"proxy": "bench-3.lab.example", "proxy_required": True}
    on_this_machine = exported("127.0.0.1", "127.0.0.1")
    assert not on_this_machine["extra"]["proxy_required"]


@attr.s(eq=False)
class RecordingOutput(Driver, DigitalOutputProtocol):  # type: ignore[misc]
    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.states: list[bool] = []

    def set(self, status: bool) -> None:
        self.states.append(status)

    def get(self) -> bool:
        return self.states[-1] if self.states else False


def test_a_relay_across_the_button_is_closed_for_the_hold_then_opened() -> None:
    target = Target("bench")
    output = RecordingOutput(target, "button")
    button = DigitalOutputButtonDriver(target, "press")
    target.activate(button)
    button.press_for(0.01)
    assert output.states == [True, False]
    assert "DigitalOutputButtonDriver" in target_factory.drivers


def test_every_wired_kind_names_a_labgrid_resource_and_driver() -> None:
    from harness.farm.wiring import OUTPUT_DRIVERS, POWER_DRIVERS

    for resource, driver in {**POWER_DRIVERS, **OUTPUT_DRIVERS}.items():
        assert resource in target_factory.resources, resource
        assert driver in target_factory.drivers, driver


def test_the_farm_doc_exporter_configuration_makes_labgrid_resources() -> None:
    """Every resource of docs/bench-farm.md's exporter example, made as the exporter's
    host makes it (USB ones are matched later, by udev)."""
    import re

    import yaml
    from labgrid.resource.udev import USBResource

    from tests.labgrid.conftest import ROOT

    text = (ROOT / "docs" / "bench-farm.md").read_text()
    (example,) = [block for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    target = Target("exporter")
    made = []
    for group in yaml.safe_load(example).values():
        for name, parameters in group.items():
            if name == "location":
                continue
            parameters = dict(parameters)
            kind = target_factory.class_from_string(parameters.pop("cls", name))
            if issubclass(kind, USBResource):
                continue
            made.append(kind(target, name, **parameters))
    assert [type(resource).__name__ for resource in made] == [
        "HciTcpAdapter", "IqosDevice", "HttpDigitalOutput", "HciTcpAdapter", "IqosDevice",
    ]  # fmt: skip
