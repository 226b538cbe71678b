"""The bench file: which physical devices the hardware target may touch.

The client connects only to addresses listed here, so a bench run can never
pair with somebody's own device that happens to be in range. The file is
checked whole when it is loaded, before any scenario: a mistake in it is one
usage error naming the file and key, not a failure in every scenario.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.tags import Ability
from iqos.models import load_models
from iqos.protocol.documents import decode
from iqos.protocol.model import ModelSpec, schema_problem

ADDRESS = re.compile(r"[0-9A-F]{2}(:[0-9A-F]{2}){5}")

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["devices"],
    "properties": {
        "adapter": {"type": "string", "minLength": 1},
        "scan_window": {"type": "number", "exclusiveMinimum": 0},
        "devices": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "model", "address"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "model": {"type": "string"},
                    "address": {"type": "string"},
                },
            },
        },
        "cannot": {
            "type": "object",
            "propertyNames": {"enum": [ability.value for ability in Ability]},
            "additionalProperties": {"type": "string", "minLength": 1},
        },
    },
}


class BenchError(ValueError):
    """A bench file that cannot be used; names file, key and problem."""


@dataclass(frozen=True)
class BenchDevice:
    name: str
    model: ModelSpec
    address: str


@dataclass(frozen=True)
class Bench:
    path: Path
    adapter: str | None
    devices: tuple[BenchDevice, ...]
    cannot: dict[str, str] = field(default_factory=dict)
    """What this bench cannot do (an ability of the harness), each with the reason."""
    scan_window: float | None = None
    """Seconds after which a scan that has not heard its device starts again: for
    controllers that report an advertisement only when a scan starts (btvirt, in the
    rehearsal); a real radio needs none (docs/speed.md, the scan wait)."""

    @property
    def allowed_addresses(self) -> frozenset[str]:
        return frozenset(device.address for device in self.devices)


def _read(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BenchError(f"{path}: cannot read: {error.strerror}") from None
    return decode(data, path, BenchError)


def load_bench(path: Path) -> Bench:
    raw = _read(path)
    problem = schema_problem(SCHEMA, raw, "bench")
    if problem is not None:
        raise BenchError(f"{path}: {problem}")
    models = load_models()
    by_name = {model.display_name: model for model in models.values()} | models
    devices = []
    for index, entry in enumerate(raw["devices"]):
        where = f"{path}: bench.devices.{index}"
        model = by_name.get(entry["model"])
        if model is None:
            raise BenchError(
                f"{where}.model: unknown model {entry['model']!r}; known: {', '.join(models)}"
            )
        address = entry["address"].upper()
        if not ADDRESS.fullmatch(address):
            raise BenchError(
                f"{where}.address: {entry['address']!r} is not a BLE address like AA:BB:CC:DD:EE:FF"
            )
        devices.append(BenchDevice(entry["name"], model, address))
    for key in ("address", "name"):
        seen = [getattr(device, key) for device in devices]
        repeated = sorted({value for value in seen if seen.count(value) > 1})
        if repeated:
            raise BenchError(f"{path}: bench.devices: {key} {repeated[0]} is listed twice")
    return Bench(
        path,
        raw.get("adapter"),
        tuple(devices),
        dict(raw.get("cannot") or {}),
        raw.get("scan_window"),
    )
