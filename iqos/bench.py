"""The bench file: which physical devices the hardware target may touch.

The client connects only to addresses listed here, so a bench run can never
pair with somebody's own device that happens to be in range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from iqos.models import load_models
from iqos.protocol.model import ModelSpec

_ADDRESS = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")


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

    @property
    def allowed_addresses(self) -> frozenset[str]:
        return frozenset(device.address for device in self.devices)


def load_bench(path: Path) -> Bench:
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as error:
        raise BenchError(f"{path}: cannot read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise BenchError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise BenchError(f"{path}: a bench file is a mapping with 'devices'")
    unknown = sorted(set(raw) - {"adapter", "devices", "cannot"})
    if unknown:
        raise BenchError(f"{path}: unknown key {unknown[0]!r} (allowed: adapter, devices, cannot)")
    cannot = raw.get("cannot") or {}
    if not isinstance(cannot, dict) or not all(
        isinstance(reason, str) and reason for reason in cannot.values()
    ):
        raise BenchError(f"{path}: cannot: a mapping of ability to the reason it is missing")
    entries = raw.get("devices")
    if not isinstance(entries, list) or not entries:
        raise BenchError(f"{path}: devices: a list of at least one device is required")
    models = load_models()
    devices = []
    for index, entry in enumerate(entries):
        where = f"{path}: devices[{index}]"
        if not isinstance(entry, dict):
            raise BenchError(f"{where}: each device is a mapping with name, model, address")
        missing = [key for key in ("name", "model", "address") if key not in entry]
        if missing:
            raise BenchError(f"{where}: missing key {missing[0]!r}")
        extra = sorted(set(entry) - {"name", "model", "address"})
        if extra:
            raise BenchError(f"{where}: unknown key {extra[0]!r}")
        model = models.get(str(entry["model"]))
        if model is None:
            raise BenchError(
                f"{where}.model: unknown model {entry['model']!r}; known: {', '.join(models)}"
            )
        address = str(entry["address"]).upper()
        if not _ADDRESS.match(address):
            raise BenchError(f"{where}.address: {entry['address']!r} is not AA:BB:CC:DD:EE:FF")
        devices.append(BenchDevice(str(entry["name"]), model, address))
    adapter = raw.get("adapter")
    return Bench(
        path,
        None if adapter is None else str(adapter),
        tuple(devices),
        {str(name): reason for name, reason in cannot.items()},
    )
