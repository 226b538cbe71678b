"""BluezController's D-Bus conversation, against a bus that answers as BlueZ and the
bus daemon would: what it asks to hear, and what it makes of what it hears. The
same conversation with a real BlueZ runs in the bluez lane."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from dbus_fast import Message, MessageType, Variant

from simulator.radio.bluez_host import BluezController

PROPERTIES = "org.freedesktop.DBus.Properties"


@dataclass
class Reply:
    message_type: MessageType
    body: list[object]
    error_name: str | None = None


class BluezBus:
    """Answers every call, records them, and delivers signals to the handlers."""

    def __init__(self, refuse: str | None = None) -> None:
        self.calls: list[tuple[str, list[object]]] = []
        self.exported: set[str] = set()
        self.handlers: list[Callable[[Message], None]] = []
        self.refuse = refuse

    async def call(self, message: Message) -> Reply:
        self.calls.append((message.member, list(message.body)))
        if message.member == self.refuse:
            return Reply(MessageType.ERROR, ["refused"], "org.bluez.Error.Failed")
        return Reply(MessageType.METHOD_RETURN, [])

    def export(self, path: str, _interface: object) -> None:
        self.exported.add(path)

    def unexport(self, path: str) -> None:
        self.exported.discard(path)

    def add_message_handler(self, handler: Callable[[Message], None]) -> None:
        self.handlers.append(handler)

    def remove_message_handler(self, handler: Callable[[Message], None]) -> None:
        self.handlers.remove(handler)

    def signal(self, path: str, interface: str, changed: dict[str, Variant]) -> None:
        message = Message.new_signal(path, PROPERTIES, "PropertiesChanged")
        message.signature = "sa{sv}as"
        message.body = [interface, changed, []]
        for handler in list(self.handlers):
            handler(message)

    def members(self) -> list[str]:
        return [member for member, _ in self.calls]


def controller(bus: BluezBus, bonded: list[str] | None = None) -> BluezController:
    def ignore(_peer: str) -> None:
        return None

    on_bonded = ignore if bonded is None else bonded.append
    return BluezController(bus, "hci0", on_bonded, ignore)  # type: ignore[arg-type]


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_unwatch_removes_every_rule_watch_added() -> None:
    async def scenario() -> tuple[list[object], list[object], int]:
        bus = BluezBus()
        subject = controller(bus)
        await subject.watch()
        await subject.watch()
        await subject.unwatch()
        added = [body[0] for member, body in bus.calls if member == "AddMatch"]
        removed = [body[0] for member, body in bus.calls if member == "RemoveMatch"]
        return added, removed, len(bus.handlers)

    added, removed, handlers = asyncio.run(scenario())
    assert len(added) == 2
    assert removed == added
    assert handlers == 0


def test_a_bond_is_heard_from_bonded_without_waiting_for_paired() -> None:
    """BlueZ 5.66 holds `Paired` back until it has resolved the peer's services,
    which a bluetoothd without reverse service discovery never does."""

    async def scenario() -> list[str]:
        bus = BluezBus()
        bonded: list[str] = []
        subject = controller(bus, bonded)
        await subject.watch()
        peer = "/org/bluez/hci0/dev_00_AA_01_01_00_01"
        bus.signal(peer, "org.bluez.Device1", {"Bonded": Variant("b", True)})
        bus.signal(peer, "org.bluez.Device1", {"Connected": Variant("b", True)})
        bus.signal("/org/bluez/hci1/dev_00_AA_01_00_00_00", "org.bluez.Device1",
                   {"Bonded": Variant("b", True)})  # fmt: skip
        return bonded

    assert asyncio.run(scenario()) == ["00:AA:01:01:00:01"]
