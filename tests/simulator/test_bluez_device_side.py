"""The BlueZ side of a simulated device, without BlueZ: the D-Bus objects BlueZ
would call, and what the bless adapter asks of its controller when the device
changes. The whole path over a real BlueZ runs in the bluez lane (tox -e bluez)."""

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from iqos.protocol import COMPANY_ID, Advertisement, PairingState, ShortFrame, uuids
from iqos.protocol.registers import Register
from iqos.protocol.scp import Node
from simulator.clock import SimulatedClock
from simulator.device import SimulatedDevice
from simulator.profile import find_profile
from simulator.radio import bluez_host
from simulator.radio.bless_gatt import BlessPeripheral, LinkDropped, all_primary, gatt_tree
from simulator.radio.bluez_host import adapter_of, address_of, drop_link
from simulator.radio.bluez_objects import LEAdvertisement
from tests.simulator.test_bless_gatt import RecordingServer

PEER = "00:AA:01:03:00:03"


class SetupTask:
    """bless creates its D-Bus connection in a task; here there is nothing to wait for."""

    def __await__(self) -> Any:
        return asyncio.sleep(0).__await__()


class App:
    """bless' GATT application, as far as the adapter touches it."""

    def __init__(self) -> None:
        self.base_path = "/org/bluez/bless"
        self.path = "/"
        self.registered = False
        self.services: list[Any] = []

    async def register(self, _adapter: object) -> None:
        self.registered = True

    async def unregister(self, _adapter: object) -> None:
        self.registered = False


class Bus:
    def __init__(self) -> None:
        self.exported: set[str] = set()
        self.connected = True

    def export(self, path: str, _interface: object) -> None:
        self.exported.add(path)

    def unexport(self, path: str, _interface: object) -> None:
        self.exported.discard(path)

    def disconnect(self) -> None:
        self.connected = False


class RecordingBlessServer(RecordingServer):
    def __init__(self, name: str, adapter: str | None) -> None:
        super().__init__(name, adapter)
        self.adapter = adapter
        self.setup_task = SetupTask()
        self.app = App()
        self.bus = Bus()


class RecordingController:
    """Stands in for BluezController: records the calls the peripheral makes."""

    def __init__(self, adapter: str) -> None:
        self.adapter = adapter
        self.calls: list[tuple[str, Any]] = []

    async def watch(self) -> None:
        self.calls.append(("watch", None))

    async def unwatch(self) -> None:
        self.calls.append(("unwatch", None))

    async def advertise(self, advertisement: Advertisement) -> None:
        self.calls.append(("advertise", advertisement.pairing_state))

    async def stop_advertising(self) -> None:
        self.calls.append(("stop_advertising", None))

    async def set_pairable(self, pairable: bool) -> None:
        self.calls.append(("set_pairable", pairable))

    async def disconnect(self) -> None:
        self.calls.append(("disconnect", None))

    async def forget_peers(self, addresses: set[str] | None = None) -> None:
        self.calls.append(("forget_peers", addresses))


def device() -> SimulatedDevice:
    return SimulatedDevice(find_profile("IQOS 3 DUO"), SimulatedClock(), "00:AA:01:00:00:00")


async def started(
    subject: SimulatedDevice, controller: RecordingController | None = None
) -> tuple[BlessPeripheral, RecordingController]:
    controller = controller or RecordingController("hci0")
    peripheral = BlessPeripheral(
        subject,
        adapter="hci0",
        server=RecordingBlessServer,
        controller=controller,  # type: ignore[arg-type]
    )
    await peripheral.start()
    assert peripheral.server.app.registered
    return peripheral, controller


def test_paths_name_the_adapter_and_the_peer() -> None:
    path = "/org/bluez/hci3/dev_00_AA_01_03_00_03"
    assert adapter_of(path) == "hci3"
    assert address_of(path) == PEER
    assert adapter_of("/org/bluez") == ""


def test_the_advertisement_carries_the_pairing_state_the_rrp_service_and_tx_power() -> None:
    bonded = LEAdvertisement.of(Advertisement("IQOS 3 DUO 1234", PairingState.BONDED))
    manufacturer = bonded.ManufacturerData  # type: ignore[attr-defined]
    assert manufacturer[COMPANY_ID].signature == "ay"
    assert bytes(manufacturer[COMPANY_ID].value) == b"\x00\x00"
    assert bonded.ServiceUUIDs == [uuids.RRP_SERVICE]  # type: ignore[attr-defined]
    assert bonded.Includes == ["tx-power"]  # type: ignore[attr-defined]
    assert bonded.LocalName == "IQOS 3 DUO 1234"  # type: ignore[attr-defined]
    pairing = LEAdvertisement.of(Advertisement("IQOS 3 DUO 1234", PairingState.PAIRING_MODE))
    assert bytes(pairing.ManufacturerData[COMPANY_ID].value) == b"\x01\x00"  # type: ignore[attr-defined]


def test_the_controller_is_bondable_only_while_the_device_takes_new_pairings() -> None:
    async def scenario() -> list[tuple[str, Any]]:
        subject = device()
        peripheral, controller = await started(subject)
        subject.inject("refuse_pairing")
        await peripheral.settled()
        subject.clear("refuse_pairing")
        await peripheral.settled()
        subject.leave_pairing_mode()
        await peripheral.settled()
        return [call for call in controller.calls if call[0] == "set_pairable"]

    assert asyncio.run(scenario()) == [
        ("set_pairable", True),
        ("set_pairable", False),
        ("set_pairable", True),
        ("set_pairable", False),
    ]


def test_a_bond_changes_the_advertisement_and_a_reset_forgets_the_peer() -> None:
    async def scenario() -> list[tuple[str, Any]]:
        subject = device()
        peripheral, controller = await started(subject)
        assert peripheral.server.app.base_path.startswith("/org/iqoshil/")
        peripheral.peer_bonded(PEER)
        await peripheral.settled()
        assert PEER in subject.bonds
        subject.reset()
        await peripheral.settled()
        await peripheral.stop()
        assert not peripheral.server.app.registered
        assert not peripheral.server.bus.connected
        return controller.calls

    calls = asyncio.run(scenario())
    assert [call for call in calls if call[0] != "set_pairable"] == [
        ("watch", None),
        ("advertise", PairingState.PAIRING_MODE),
        ("advertise", PairingState.BONDED),
        ("forget_peers", {PEER}),
        ("advertise", PairingState.PAIRING_MODE),
        ("unwatch", None),
        ("stop_advertising", None),
        ("forget_peers", None),
    ]


def test_a_link_fault_drops_the_link_instead_of_answering() -> None:
    async def scenario() -> tuple[list[tuple[str, Any]], list[tuple[str, bytes]]]:
        subject = device()
        peripheral, controller = await started(subject)
        subject.inject("disconnect_after_operations")
        server = peripheral.server
        request = ShortFrame(Node.CHARGER, Register.FIRMWARE_VERSION).encode()
        server.write_request_func(
            server.characteristics[uuids.SCP_CONTROL_POINT], bytearray(request)
        )
        await peripheral.settled()
        return controller.calls, server.notified

    calls, notified = asyncio.run(scenario())
    assert ("disconnect", None) in calls
    assert not [uuid for uuid, _ in notified if uuid == uuids.SCP_CONTROL_POINT]


def test_a_link_fault_drops_the_link_on_a_read_too() -> None:
    """`disconnect_after_operations` counts every request, a status or battery read
    as much as an SCP request, as on the bumble adapter (ControlPoint.drops_link)."""

    async def scenario() -> list[tuple[str, Any]]:
        subject = device()
        peripheral, controller = await started(subject)
        subject.inject("disconnect_after_operations")
        server = peripheral.server
        for uuid in (uuids.DEVICE_STATUS, uuids.BATTERY_INFORMATION, uuids.SERIAL_NUMBER):
            with pytest.raises(LinkDropped):
                server.read_request_func(server.characteristics[uuid])
        await peripheral.settled()
        subject.clear("disconnect_after_operations")
        read = server.read_request_func(server.characteristics[uuids.DEVICE_STATUS])
        assert bytes(read) == subject.status().encode()
        return controller.calls

    calls = asyncio.run(scenario())
    assert calls.count(("disconnect", None)) == 3


class SlowController(RecordingController):
    """Removing peers takes a while, as RemoveDevice does on BlueZ (2 s when linked)."""

    def __init__(self, adapter: str) -> None:
        super().__init__(adapter)
        self.removing = asyncio.Event()
        self.may_finish = asyncio.Event()
        self.failure: Exception | None = None

    async def forget_peers(self, addresses: set[str] | None = None) -> None:
        self.removing.set()
        await self.may_finish.wait()
        self.calls.append(("forget_peers", addresses))
        if self.failure is not None:
            raise self.failure


def test_bluez_follows_the_device_in_order_and_settled_waits_for_it() -> None:
    """A reset's removal of the old bond must land before anything after it, and a
    caller (the control socket, the target's hands) is told done only then."""

    async def scenario() -> list[tuple[str, Any]]:
        subject = device()
        controller = SlowController("hci0")
        peripheral, _ = await started(subject, controller)
        peripheral.peer_bonded(PEER)
        subject.reset()
        subject.leave_pairing_mode()
        settled = asyncio.ensure_future(peripheral.settled())
        await controller.removing.wait()
        while_removing = len(controller.calls)
        for _ in range(20):
            await asyncio.sleep(0)
        assert not settled.done()
        assert len(controller.calls) == while_removing, "a later change overtook the removal"
        controller.may_finish.set()
        await settled
        return controller.calls[while_removing:]

    after_removal = asyncio.run(scenario())
    assert after_removal[0] == ("forget_peers", {PEER})
    assert [call for call in after_removal[1:] if call[0] == "advertise"]


def test_settled_raises_what_bluez_refused() -> None:
    async def scenario() -> None:
        subject = device()
        controller = SlowController("hci0")
        controller.failure = RuntimeError("org.bluez.Error.Failed")
        controller.may_finish.set()
        peripheral, _ = await started(subject, controller)
        peripheral.peer_bonded(PEER)
        subject.reset()
        with pytest.raises(RuntimeError, match=r"org\.bluez\.Error\.Failed"):
            await peripheral.settled()

    asyncio.run(scenario())


class ExportingBus:
    """Where bless' application exports its objects: nowhere."""

    def export(self, _path: str, _interface: object) -> None:
        return None


def test_every_service_of_blesss_application_is_served_as_primary() -> None:
    """bless 0.3 makes every service after the first secondary; the RRP service is
    primary on a real IQOS, and phones find it by primary service discovery."""
    from bless.backends.bluezdbus.dbus.application import BlueZGattApplication

    async def primaries() -> tuple[list[bool], list[bool]]:
        application = BlueZGattApplication("IQOS", "org.bluez.iqos", ExportingBus())
        for uuid in gatt_tree(device()):
            await application.add_service(uuid)
        as_bless_makes_them = [service.Primary for service in application.services]
        all_primary(application)
        return as_bless_makes_them, [service.Primary for service in application.services]

    by_bless, served = asyncio.run(primaries())
    assert by_bless == [True, False], "bless changed: all_primary may no longer be needed"
    assert served == [True, True]


def test_a_btmgmt_that_hangs_is_killed_at_its_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A controller that never answers must not hold a scenario's release for ever."""
    btmgmt = tmp_path / "btmgmt"
    btmgmt.write_text("#!/bin/sh\nexec sleep 60\n")
    btmgmt.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setattr(bluez_host, "BTMGMT_SECONDS", 0.2)
    began = time.monotonic()
    no_bus: Any = None  # the btmgmt path never calls D-Bus
    peer = "/org/bluez/hci1/dev_" + PEER.replace(":", "_")
    asyncio.run(drop_link(no_bus, peer, "public"))
    assert time.monotonic() - began < 5
