"""SCP frames on the control point: short frames (CRC-8), extended frames (CRC-16),
and the fragmentation of long frames into ATT-sized writes.

A frame object is the wire meaning; `encode()` gives its bytes and `decode_frame`
takes bytes back, so a transcript can always show both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from iqos.protocol.crc import crc8, crc16
from iqos.protocol.errors import ProtocolError

LAST_FRAGMENT = 0x00
MORE_FRAGMENTS = 0x01
ATT_WRITE_SIZE = 20
"""Bytes in one ATT write at the default MTU of 23 (MTU minus the 3-byte ATT header)."""

_HEADER_RESPONSE = 0x80
_HEADER_WRITE = 0x40
_HEADER_EXTENDED = 0x10
_HEADER_RESERVED = 0x20
_LENGTHS = (0, 4, 14, 24)
MAX_REGISTER = 0x3FF


class Node(IntEnum):
    """Who a frame is addressed to, or who answers it."""

    CHARGER = 0xC0
    """Requests to the charger, or to the body of a one-piece device; answers come back from it."""
    HOLDER = 0xC9
    D2 = 0xD2
    HOLDER_ANSWER = 0x08
    D2_ANSWER = 0x90


ANSWERING_NODE: dict[Node, Node] = {
    Node.CHARGER: Node.CHARGER,
    Node.HOLDER: Node.HOLDER_ANSWER,
    Node.D2: Node.D2_ANSWER,
}
"""The node an answer carries, for each node a request goes to."""

REGISTER_ANSWERING_NODE: dict[tuple[Node, int], Node] = {
    (Node.CHARGER, 0x084): Node.HOLDER_ANSWER,
}
"""Registers whose answer comes from another node than ANSWERING_NODE says: the
battery voltage (0x084) is asked of the charger and answered from 0x08, as iqosctl's
decoder and test vectors have it (docs/protocol.md)."""


def answering_node(node: Node, register: int | None = None) -> Node:
    """The node that answers a request to `node` (for a short frame, about `register`)."""
    if register is not None and (node, register) in REGISTER_ANSWERING_NODE:
        return REGISTER_ANSWERING_NODE[(node, register)]
    return ANSWERING_NODE.get(node, node)


def _node(value: int, data: bytes) -> Node:
    try:
        return Node(value)
    except ValueError:
        raise ProtocolError(f"unknown SCP node 0x{value:02X}", data) from None


@dataclass(frozen=True)
class ShortFrame:
    """A register read or write, or its answer, with 0, 4, 14 or 24 data bytes."""

    node: Node
    register: int
    data: bytes = b""
    write: bool = False
    response: bool = False
    extra: bytes = b""
    """Argument bytes after the data the length code announces, still covered by the
    CRC: public clients read the firmware with two of them (`00 C0 00 00 00 00 00`).
    Only a tolerant decode (`decode_frame(..., extra_bytes=True)`) accepts them."""

    def __post_init__(self) -> None:
        if not 0 <= self.register <= MAX_REGISTER:
            raise ProtocolError(f"register 0x{self.register:X} does not fit in 10 bits")
        if len(self.data) not in _LENGTHS:
            raise ProtocolError(
                f"short frame data must be 0, 4, 14 or 24 bytes, not {len(self.data)}", self.data
            )

    @property
    def header(self) -> int:
        return (
            (_HEADER_RESPONSE if self.response else 0)
            | (_HEADER_WRITE if self.write else 0)
            | (_LENGTHS.index(len(self.data)) << 2)
            | (self.register & 0x03)
        )

    def body(self) -> bytes:
        """Header byte through the last data (or extra) byte: what the CRC covers."""
        return bytes((self.header, self.register >> 2)) + self.data + self.extra

    def encode(self) -> bytes:
        body = self.body()
        return bytes((LAST_FRAGMENT, self.node)) + body + bytes((crc8(body),))

    def answer(self, data: bytes) -> ShortFrame:
        """The answer a device sends to this request: same register, answering node."""
        return ShortFrame(
            node=answering_node(self.node, self.register),
            register=self.register,
            data=data,
            write=self.write,
            response=True,
        )


class ExtendedType(IntEnum):
    READ = 0x10
    WRITE = 0x50
    READ_RESPONSE = 0x90
    WRITE_ACK = 0xD0


@dataclass(frozen=True)
class ExtendedFrame:
    """An addressed read or write of a larger value (clock, usage counters)."""

    node: Node
    kind: ExtendedType
    address: bytes
    data: bytes = b""

    def __post_init__(self) -> None:
        if len(self.address) != 2:
            raise ProtocolError("an extended frame address is 2 bytes", self.address)
        if len(self.address) + len(self.data) > 0xFF:
            raise ProtocolError("extended frame payload longer than 255 bytes", self.data)

    def body(self) -> bytes:
        payload = self.address + self.data
        return bytes((self.kind, len(payload))) + payload

    def encode(self) -> bytes:
        body = self.body()
        crc = crc16(body)
        return bytes((LAST_FRAGMENT, self.node)) + body + bytes((crc & 0xFF, crc >> 8))

    @property
    def response(self) -> bool:
        return self.kind in (ExtendedType.READ_RESPONSE, ExtendedType.WRITE_ACK)

    def answer(self, data: bytes = b"") -> ExtendedFrame:
        kind = (
            ExtendedType.READ_RESPONSE if self.kind is ExtendedType.READ else ExtendedType.WRITE_ACK
        )
        return ExtendedFrame(answering_node(self.node), kind, self.address, data)


Frame = ShortFrame | ExtendedFrame


def is_answer_to(request: Frame, reply: Frame) -> bool:
    """Whether `reply` answers `request`: a response from the answering node, about the
    same register (short) or address (extended). Other notifications may come between."""
    if not reply.response:
        return False
    if isinstance(request, ShortFrame):
        return (
            isinstance(reply, ShortFrame)
            and reply.register == request.register
            and reply.node is answering_node(request.node, request.register)
        )
    return (
        isinstance(reply, ExtendedFrame)
        and reply.address == request.address
        and reply.node is answering_node(request.node)
    )


def decode_frame(data: bytes, *, extra_bytes: bool = False) -> Frame:
    """Decode one whole (already reassembled) SCP frame, checking its CRC.

    A short frame's CRC is its last byte, over everything from the header on. With
    `extra_bytes`, bytes between the data its length code announces and the CRC are
    kept as `ShortFrame.extra`, as a device that reads the CRC at the end of the write
    takes them; without, they are an error, as for any strict reader.
    """
    data = bytes(data)
    if len(data) < 5:
        raise ProtocolError(f"SCP frame too short ({len(data)} bytes)", data)
    if data[0] != LAST_FRAGMENT:
        raise ProtocolError("frame starts with a 'more fragments' flag; reassemble first", data)
    node = _node(data[1], data)
    header = data[2]
    if header & _HEADER_EXTENDED:
        return _decode_extended(node, data)
    if header & _HEADER_RESERVED:
        raise ProtocolError(f"reserved bit 5 set in header 0x{header:02X}", data)
    length = _LENGTHS[(header >> 2) & 0x03]
    carried = len(data) - 5
    if carried < length or (carried > length and not extra_bytes):
        raise ProtocolError(
            f"short frame with length code for {length} data bytes has {carried}", data
        )
    if crc8(data[2:-1]) != data[-1]:
        raise ProtocolError(f"bad CRC-8: expected 0x{crc8(data[2:-1]):02X}", data)
    return ShortFrame(
        node=node,
        register=(data[3] << 2) | (header & 0x03),
        data=data[4 : 4 + length],
        write=bool(header & _HEADER_WRITE),
        response=bool(header & _HEADER_RESPONSE),
        extra=data[4 + length : -1],
    )


def _decode_extended(node: Node, data: bytes) -> ExtendedFrame:
    try:
        kind = ExtendedType(data[2])
    except ValueError:
        raise ProtocolError(f"unknown extended frame type 0x{data[2]:02X}", data) from None
    length = data[3]
    if length < 2:
        raise ProtocolError("extended frame shorter than its 2-byte address", data)
    if len(data) != 6 + length:
        raise ProtocolError(f"extended frame says {length} bytes but has {len(data) - 6}", data)
    received = data[-2] | (data[-1] << 8)
    expected = crc16(data[2:-2])
    if received != expected:
        raise ProtocolError(f"bad CRC-16: expected 0x{expected:04X}", data)
    return ExtendedFrame(node, kind, address=data[4:6], data=data[6:-2])


def fragment(frame: bytes, size: int = ATT_WRITE_SIZE) -> list[bytes]:
    """Split an encoded frame into ATT writes of at most `size` bytes.

    Every write starts with the fragment flag; the first keeps the node byte,
    the others carry only the next slice, so the CRC of the whole frame still
    covers what the device reassembles.
    """
    if size < 3:
        raise ProtocolError(f"fragment size {size} cannot carry a flag and a payload")
    if len(frame) <= size:
        return [bytes(frame)]
    slices = [frame[1:size]]
    rest = frame[size:]
    while rest:
        slices.append(rest[: size - 1])
        rest = rest[size - 1 :]
    return [
        bytes((LAST_FRAGMENT if index == len(slices) - 1 else MORE_FRAGMENTS,)) + piece
        for index, piece in enumerate(slices)
    ]


class Reassembler:
    """Joins ATT writes into frames, one fragmented frame at a time.

    A device sees each write separately. This keeps the pending fragments and
    hands back a whole frame when the last one arrives; a fragment that does
    not fit (too long for its length code, a continuation with nothing
    pending) is a `ProtocolError` and clears what was pending. `extra_bytes` is
    passed to `decode_frame` for every whole frame.
    """

    MAX_FRAME = 6 + 0xFF

    def __init__(self, *, extra_bytes: bool = False) -> None:
        self._pending = bytearray()
        self._extra_bytes = extra_bytes

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def reset(self) -> None:
        self._pending.clear()

    def feed(self, fragment_bytes: bytes) -> Frame | None:
        """Take one ATT write; return the frame it completes, if any."""
        piece = bytes(fragment_bytes)
        if not piece:
            self.reset()
            raise ProtocolError("empty write", piece)
        flag = piece[0]
        if flag not in (LAST_FRAGMENT, MORE_FRAGMENTS):
            self.reset()
            raise ProtocolError(f"unknown fragment flag 0x{flag:02X}", piece)
        if self._pending:
            self._pending += piece[1:]
        else:
            if len(piece) < 2:
                self.reset()
                raise ProtocolError("first fragment has no node byte", piece)
            self._pending += bytes((LAST_FRAGMENT,)) + piece[1:]
        if len(self._pending) > self.MAX_FRAME:
            whole = bytes(self._pending)
            self.reset()
            raise ProtocolError("fragments add up to more than any frame can hold", whole)
        if flag == MORE_FRAGMENTS:
            return None
        whole = bytes(self._pending)
        self.reset()
        return decode_frame(whole, extra_bytes=self._extra_bytes)
