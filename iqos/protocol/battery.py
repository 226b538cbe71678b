"""The battery information frame: a flags word, then only the fields it announces."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from iqos.protocol.errors import ProtocolError


@dataclass(frozen=True)
class CellReading:
    """One battery as the frame reports it; any field may be absent."""

    level: int | None = None
    """Percent of charge (0..100 on devices seen so far)."""
    temperature: int | None = None
    voltage_mv: int | None = None

    def __post_init__(self) -> None:
        for name, value, limit in (
            ("level", self.level, 0xFF),
            ("temperature", self.temperature, 0xFF),
            ("voltage_mv", self.voltage_mv, 0xFFFF),
        ):
            if value is not None and not 0 <= value <= limit:
                raise ProtocolError(f"battery {name} {value} outside 0..{limit}")

    @property
    def empty(self) -> bool:
        return self.level is None and self.temperature is None and self.voltage_mv is None


@dataclass(frozen=True)
class BatteryInformation:
    """Charger and up to two holders. A one-piece device reports only `charger`."""

    charger: CellReading | None = None
    holder: CellReading | None = None
    holder2: CellReading | None = None

    def cells(self) -> tuple[CellReading | None, CellReading | None, CellReading | None]:
        return (self.charger, self.holder, self.holder2)

    def encode(self) -> bytes:
        flags = 0
        fields = bytearray()
        for index, cell in enumerate(self.cells()):
            if cell is None:
                continue
            base = index * 3
            if cell.level is not None:
                flags |= 1 << base
                fields.append(cell.level)
            if cell.temperature is not None:
                flags |= 1 << (base + 1)
                fields.append(cell.temperature)
            if cell.voltage_mv is not None:
                flags |= 1 << (base + 2)
                fields += struct.pack("<H", cell.voltage_mv)
        return struct.pack("<H", flags) + bytes(fields)

    @classmethod
    def decode(cls, data: bytes) -> BatteryInformation:
        data = bytes(data)
        if len(data) < 2:
            raise ProtocolError("battery frame shorter than its flags word", data)
        flags = data[0] | (data[1] << 8)
        if flags >> 9:
            raise ProtocolError(f"battery frame announces unknown fields 0x{flags:04X}", data)
        offset = 2
        cells: list[CellReading | None] = []
        for index in range(3):
            base = index * 3
            values: list[int | None] = []
            for bit, size in ((base, 1), (base + 1, 1), (base + 2, 2)):
                if not flags & (1 << bit):
                    values.append(None)
                    continue
                if offset + size > len(data):
                    raise ProtocolError("battery frame ends inside a field", data)
                values.append(int.from_bytes(data[offset : offset + size], "little"))
                offset += size
            cell = CellReading(*values)
            cells.append(None if cell.empty else cell)
        if offset != len(data):
            raise ProtocolError(f"battery frame has {len(data) - offset} bytes too many", data)
        return cls(*cells)
