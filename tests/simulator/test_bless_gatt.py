"""The bless adapter serves the bumble adapter's GATT table and the same SCP answers.
No radio here: a stand-in server records what bless would be asked to do."""

import asyncio
from typing import Any

from bumble import gatt

from iqos.protocol import Node, ShortFrame, decode_frame, uuids
from iqos.protocol.registers import Register
from simulator.clock import SimulatedClock
from simulator.device import SimulatedDevice
from simulator.profile import find_profile
from simulator.radio.bless_gatt import BlessPeripheral, gatt_tree
from simulator.radio.bumble_gatt import BumblePeripheral
from simulator.radio.link import VirtualLink


class Characteristic:
    def __init__(self, uuid: str, value: bytearray) -> None:
        self.uuid = uuid
        self.value = value


class RecordingServer:
    def __init__(self, name: str, adapter: str | None) -> None:
        self.name = name
        self.characteristics: dict[str, Characteristic] = {}
        self.notified: list[tuple[str, bytes]] = []
        self.read_request_func: Any = None
        self.write_request_func: Any = None

    async def add_gatt(self, tree: dict[str, dict[str, dict[str, Any]]]) -> None:
        for characteristics in tree.values():
            for uuid, info in characteristics.items():
                self.characteristics[uuid] = Characteristic(uuid, info["Value"])

    async def start(self) -> None:
        return None

    def get_characteristic(self, uuid: str) -> Characteristic:
        return self.characteristics[uuid]

    def update_value(self, _service: str, uuid: str) -> None:
        self.notified.append((uuid, bytes(self.characteristics[uuid].value)))


def device() -> SimulatedDevice:
    return SimulatedDevice(find_profile("IQOS 3 DUO"), SimulatedClock(), "C0:11:22:33:44:55")


def test_same_table_as_the_bumble_adapter() -> None:
    async def bumble_table() -> dict[str, set[str]]:
        radio = VirtualLink().add_device("sim")
        BumblePeripheral(device(), radio)
        table: dict[str, set[str]] = {}
        for service in radio.gatt_server.attributes:
            if isinstance(service, gatt.Service):
                table[str(service.uuid).lower()] = {
                    str(c.uuid).lower() for c in service.characteristics
                }
        return table

    bumble = asyncio.run(bumble_table())
    bless = {
        short(service): {short(c) for c in characteristics}
        for service, characteristics in gatt_tree(device()).items()
    }
    served = {short(k): {short(c) for c in v} for k, v in bumble.items()}
    # Generic Access and Generic Attribute come from the stack on both sides.
    assert {k: v for k, v in served.items() if k not in ("1800", "1801")} == bless


def short(uuid: str) -> str:
    """bumble names SIG UUIDs by their 16 bits, bleak and bless by all 128."""
    uuid = uuid.upper().removeprefix("UUID-16:").split(" ")[0]
    return uuid[4:8] if uuid.endswith("-0000-1000-8000-00805F9B34FB") else uuid


def test_reads_writes_and_notifications_go_through_the_model() -> None:
    async def scenario() -> list[tuple[str, bytes]]:
        subject = device()
        peripheral = BlessPeripheral(subject, server=RecordingServer)
        server = peripheral.server
        await peripheral.start()
        battery = server.read_request_func(server.characteristics[uuids.BATTERY_INFORMATION])
        assert bytes(battery) == subject.battery().encode()
        request = ShortFrame(Node.CHARGER, Register.FIRMWARE_VERSION).encode()
        server.write_request_func(
            server.characteristics[uuids.SCP_CONTROL_POINT], bytearray(request)
        )
        answered = asyncio.Event()
        asyncio.get_running_loop().call_soon(answered.set)
        await answered.wait()
        subject.set_battery("charger", 33)
        return list(server.notified)

    notified = asyncio.run(scenario())
    scp = [value for uuid, value in notified if uuid == uuids.SCP_CONTROL_POINT]
    assert decode_frame(b"\x00" + scp[0][1:] + b"".join(piece[1:] for piece in scp[1:])).response
    battery = [value for uuid, value in notified if uuid == uuids.BATTERY_INFORMATION]
    assert battery and battery[-1][2] == 33
