"""What crosses a simulated device's GATT link, recorded from the device's side.

The simulator keeps no record of its traffic, and the client's `Transcript`
lives in the client's process (often another one, over `--hci-port`). So the
panel listens where bumble lets anyone listen without changing the radio code:
the snooper of the device's host, which sees every HCI packet both ways. ATT
writes, reads and notifications become entries of a `Transcript`, decoded
exactly as the report decodes the client's; links, encryption, pairing and
subscriptions become its notes.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bumble import att, gatt, gatt_server, hci, l2cap, smp
from bumble.core import UUID
from bumble.device import Device
from bumble.snoop import Snooper

from iqos.protocol import uuids
from iqos.protocol.transcript import Direction, Entry, Transcript, characteristic_name

log = logging.getLogger(__name__)

_RECEIVED = Snooper.Direction.CONTROLLER_TO_HOST
_LINK_EVENTS = {
    hci.HCI_DISCONNECTION_COMPLETE_EVENT,
    hci.HCI_ENCRYPTION_CHANGE_EVENT,
    hci.HCI_LE_META_EVENT,
}
_CONNECTED = (hci.HCI_LE_Connection_Complete_Event, hci.HCI_LE_Enhanced_Connection_Complete_Event)
_SUBSCRIPTION = {
    b"\x00\x00": "unsubscribes from",
    b"\x01\x00": "subscribes to",
    b"\x02\x00": "subscribes to (indications)",
}
_WRITES = (att.ATT_Write_Request, att.ATT_Write_Command)
_OTHER_NAMES = {
    uuids.MODEL_NUMBER: "model number",
    uuids.SERIAL_NUMBER: "serial number",
    uuids.SOFTWARE_REVISION: "software revision",
    uuids.MANUFACTURER_NAME: "manufacturer name",
    uuids.FIRMWARE_UPGRADE_CONTROL: "firmware upgrade control",
    uuids.FIRMWARE_UPGRADE_STATUS: "firmware upgrade status",
}


def name_of(characteristic: str) -> str:
    """The report's name for an RRP characteristic; the device's others named too,
    since the panel shows what an app reads there as well."""
    return _OTHER_NAMES.get(characteristic) or characteristic_name(characteristic)


_SENT_VALUES = (att.ATT_Handle_Value_Notification, att.ATT_Handle_Value_Indication)


@dataclass
class Central:
    """A phone (or harness) connected to the device, as the link layer saw it."""

    address: str
    encrypted: bool = False


class GattTap(Snooper):
    """Hangs on a bumble device's host; a snooper already there still gets every packet."""

    def __init__(
        self,
        radio: Device,
        on_entry: Callable[[Entry], None],
        on_link: Callable[[], None],
    ) -> None:
        """`on_entry` hears each new transcript entry; `on_link` hears that the
        centrals changed or that the app wrote something, after which the device's
        state may differ (an SCP write can change it without telling its listeners)."""
        self.transcript = Transcript()
        self.centrals: dict[int, Central] = {}
        self._radio = radio
        self._on_entry = on_entry
        self._on_link = on_link
        self._assemblers: dict[tuple[int, bool], hci.HCI_AclDataPacketAssembler] = {}
        self._reading: dict[int, int] = {}
        self._attributes: dict[int, tuple[str, bool]] | None = None
        self._next: Snooper | None = radio.host.snooper
        radio.host.snooper = self

    def detach(self) -> None:
        if self._radio.host.snooper is self:
            self._radio.host.snooper = self._next

    def snoop(self, data: bytes, direction: Snooper.Direction) -> None:
        """Never raises: it runs inside bumble's packet path, where an exception
        would break the device's link for the sake of a log line."""
        if self._next is not None:
            self._next.snoop(data, direction)
        received = direction == _RECEIVED
        try:
            if data[0] == hci.HCI_ACL_DATA_PACKET:
                self._acl(hci.HCI_AclDataPacket.from_bytes(data), received)
            elif data[0] == hci.HCI_EVENT_PACKET and received and data[1] in _LINK_EVENTS:
                self._event(hci.HCI_Event.from_bytes(data))
        except Exception as error:
            log.debug("undecodable HCI packet %s", data.hex(), exc_info=True)
            self._note(f"undecodable packet {data[:16].hex(' ')}: {error}")

    # --- link layer -------------------------------------------------------------------

    def _event(self, event: hci.HCI_Event) -> None:
        if isinstance(event, _CONNECTED) and event.status == hci.HCI_SUCCESS:
            address = event.peer_address.to_string(False)
            self.centrals[event.connection_handle] = Central(address)
            self._note(f"connected to {address}")
        elif isinstance(event, hci.HCI_Disconnection_Complete_Event):
            if self.centrals.pop(event.connection_handle, None) is None:
                return
            for key in [k for k in self._assemblers if k[0] == event.connection_handle]:
                del self._assemblers[key]
            self._reading.pop(event.connection_handle, None)
            reason = hci.HCI_Constant.error_name(event.reason)  # type: ignore[no-untyped-call]
            self._note(f"disconnected: {reason}")
        elif isinstance(event, hci.HCI_Encryption_Change_Event):
            central = self.centrals.get(event.connection_handle)
            if central is None or event.status != hci.HCI_SUCCESS:
                return
            central.encrypted = bool(event.encryption_enabled)
            self._note("link encrypted" if central.encrypted else "link no longer encrypted")
        else:
            return
        self._on_link()

    def _acl(self, packet: hci.HCI_AclDataPacket, received: bool) -> None:
        key = (packet.connection_handle, received)
        assembler = self._assemblers.get(key)
        if assembler is None:
            deliver = functools.partial(self._l2cap, packet.connection_handle, received)
            assembler = self._assemblers[key] = hci.HCI_AclDataPacketAssembler(deliver)
        assembler.feed_packet(packet)

    def _l2cap(self, connection: int, received: bool, data: bytes) -> None:
        pdu = l2cap.L2CAP_PDU.from_bytes(data)
        if pdu.cid == att.ATT_CID:
            self._att(connection, received, att.ATT_PDU.from_bytes(pdu.payload))
        elif pdu.cid == smp.SMP_CID:
            self._smp(received, smp.SMP_Command.from_bytes(pdu.payload))

    def _smp(self, received: bool, command: smp.SMP_Command) -> None:
        if isinstance(command, smp.SMP_Pairing_Request_Command) and received:
            self._note("the app asks to pair")
        elif isinstance(command, smp.SMP_Pairing_Failed_Command):
            reason = smp.ErrorCode(command.reason).name
            who = "the app gave up pairing" if received else "pairing refused"
            self._note(f"{who}: {reason}")

    # --- ATT --------------------------------------------------------------------------

    def _att(self, connection: int, received: bool, pdu: att.ATT_PDU) -> None:
        if received:
            self._request(connection, pdu)
            return
        if isinstance(pdu, att.ATT_Read_Response) and connection in self._reading:
            characteristic, _ = self._attribute(self._reading.pop(connection))
            self._record(Direction.READ, characteristic, pdu.attribute_value)
        elif isinstance(pdu, _SENT_VALUES):
            characteristic, _ = self._attribute(pdu.attribute_handle)
            self._record(Direction.NOTIFY, characteristic, pdu.attribute_value)
        elif isinstance(pdu, att.ATT_Error_Response):
            self._reading.pop(connection, None)
            if pdu.error_code != att.ErrorCode.ATTRIBUTE_NOT_FOUND:  # the end of discovery
                characteristic, _ = self._attribute(pdu.attribute_handle_in_error)
                self._note(
                    f"refused {att.Opcode(pdu.request_opcode_in_error).name} on "
                    f"{name_of(characteristic)}: {att.ErrorCode(pdu.error_code).name}"
                )

    def _request(self, connection: int, pdu: att.ATT_PDU) -> None:
        if isinstance(pdu, _WRITES):
            characteristic, configuration = self._attribute(pdu.attribute_handle)
            value = bytes(pdu.attribute_value)
            if configuration:
                verb = _SUBSCRIPTION.get(value, f"writes {value.hex(' ')} to the configuration of")
                self._note(f"the app {verb} {name_of(characteristic)}")
            else:
                self._record(Direction.WRITE, characteristic, value)
            self._on_link()
        elif isinstance(pdu, att.ATT_Read_Request):
            self._reading[connection] = pdu.attribute_handle
        elif isinstance(pdu, att.ATT_Read_By_Group_Type_Request) and pdu.starting_handle == 1:
            self._note("the app discovers the services")

    def _attribute(self, handle: int) -> tuple[str, bool]:
        """The characteristic UUID behind a handle, and whether the handle is its
        configuration descriptor; read from the GATT table at the first use, when
        the peripheral has long finished building it."""
        if self._attributes is None:
            self._attributes = _attribute_map(self._radio.gatt_server)
        return self._attributes.get(handle, (f"handle 0x{handle:04X}", False))

    # --- the record -------------------------------------------------------------------

    def _record(self, direction: Direction, characteristic: str, data: bytes) -> None:
        self.transcript.record(direction, characteristic, data)
        self._on_entry(self.transcript.entries[-1])

    def _note(self, text: str) -> None:
        self.transcript.note(text)
        self._on_entry(self.transcript.entries[-1])


def _attribute_map(server: gatt_server.Server) -> dict[int, tuple[str, bool]]:
    names: dict[int, tuple[str, bool]] = {}
    owner = ""
    for attribute in server.attributes:
        if isinstance(attribute, gatt.Characteristic):
            owner = _uuid_text(attribute.uuid)
            names[attribute.handle] = (owner, False)
        elif (
            isinstance(attribute, gatt.Descriptor)
            and attribute.type == gatt.GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR
        ):
            names[attribute.handle] = (owner, True)
    return names


def _uuid_text(value: UUID) -> str:
    """The 128-bit lower-case form that `iqos.protocol.uuids` and bleak use."""
    return str(uuid.UUID(bytes=value.to_bytes(force_128=True)[::-1]))
