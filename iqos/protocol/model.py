"""What a client must know about each model: pure data, read from the `protocol`
section of a device profile so that the client and the simulator share one source.

Most of it is assumed (no capture of a 3.0 or 3.0 Multi is public); the profile
marks each assumed value, and docs/protocol.md lists them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jsonschema

from iqos.protocol.errors import ProtocolError
from iqos.protocol.scp import Node, ShortFrame
from iqos.protocol.status import StatusBit7

DEFAULT_PROFILES = Path(__file__).resolve().parents[2] / "fixtures" / "devices"
PROFILES_VARIABLE = "IQOS_HIL_PROFILES"


def profiles_directory() -> Path:
    """The folder of device profiles: `IQOS_HIL_PROFILES`, else the project's own.

    The client reads its models and the simulator its devices from the same
    folder, so a profile QA points them at is one both see."""
    return Path(os.environ.get(PROFILES_VARIABLE, DEFAULT_PROFILES))


class Capability(StrEnum):
    HOLDER = "holder"
    """A separate holder that charges in a pocket charger."""
    FIND_MY = "find_my"
    HAPTICS = "haptics"
    LOCK = "lock"
    BRIGHTNESS = "brightness"
    CLOCK = "clock"
    USAGE_COUNTERS = "usage_counters"
    APP_RESET = "app_reset"
    CODENTIFY = "codentify"
    ADVERTISING_WINDOW = "advertising_window"
    """Advertises only for a while: not listed under `capabilities`, but given by the
    profile's `advertising_window`, so scenarios can ask for it (`@needs:`)."""


LISTED_CAPABILITIES = tuple(c for c in Capability if c is not Capability.ADVERTISING_WINDOW)
"""What a profile's `capabilities` may name."""


class WindowOpener(StrEnum):
    """What (re)opens a device's advertising window."""

    POWER_ON = "power_on"
    """Switched on, or rebooted by a reset."""
    BUTTON = "button"
    """The button held (any length; 10 s or more also resets), or pairing mode entered."""
    HOLDER_INSERTED = "holder_inserted"
    """The holder put into the pocket charger."""


@dataclass(frozen=True)
class AdvertisingWindow:
    """How long a device advertises after something opens its window, and what does."""

    seconds: float
    opened_by: frozenset[WindowOpener]

    def opens(self, opener: WindowOpener) -> bool:
        return opener in self.opened_by


_COMMAND: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["node", "register"],
    "properties": {
        "node": {"enum": [int(node) for node in Node]},
        "register": {"type": "integer", "minimum": 0, "maximum": 0x3FF},
        "data": {"type": "string", "pattern": "^[0-9A-Fa-f ]*$"},
        "write": {"type": "boolean"},
    },
}

PROTOCOL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "display_name",
        "name_prefix",
        "model_number",
        "holders",
        "sessions_per_charge",
        "capabilities",
    ],
    "properties": {
        "display_name": {"type": "string", "minLength": 1},
        "name_prefix": {"type": "string", "minLength": 1, "pattern": "^[ -~]+$"},
        "model_number": {"type": "string", "minLength": 1, "pattern": "^[ -~]+$"},
        "holders": {"type": "integer", "minimum": 0, "maximum": 2},
        "sessions_per_charge": {"type": "integer", "minimum": 1, "maximum": 100},
        "capabilities": {
            "type": "array",
            "uniqueItems": True,
            "items": {"enum": [capability.value for capability in LISTED_CAPABILITIES]},
        },
        "reset": _COMMAND,
        "codentify": _COMMAND,
        "status_bit7": {"enum": [reading.value for reading in StatusBit7]},
        "advertising_window": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["seconds", "opened_by"],
                    "properties": {
                        "seconds": {"type": "number", "exclusiveMinimum": 0},
                        "opened_by": {
                            "type": "array",
                            "uniqueItems": True,
                            "items": {"enum": [opener.value for opener in WindowOpener]},
                        },
                    },
                },
            ]
        },
    },
}
"""The `protocol` section of a device profile: hand-edited, so every key is checked
and an unknown one is an error (a typo would otherwise be silently ignored)."""


def schema_problem(schema: dict[str, Any], raw: Any, where: str) -> str | None:
    """The first problem, as `where.key: what is wrong`, or None."""
    validator = jsonschema.Draft202012Validator(schema)
    problems = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if not problems:
        return None
    problem = problems[0]
    key = ".".join([where, *(str(part) for part in problem.absolute_path)])
    return f"{key}: {problem.message}"


@dataclass(frozen=True)
class Command:
    """A short frame the project had to invent, as a profile states it."""

    node: Node
    register: int
    data: bytes = b""
    write: bool = True

    def frame(self) -> ShortFrame:
        return ShortFrame(self.node, self.register, self.data, write=self.write)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str) -> Command:
        try:
            node = Node(int(raw["node"]))
            register = int(raw["register"])
            data = bytes.fromhex(str(raw.get("data", "")))
            write = bool(raw.get("write", True))
            command = cls(node, register, data, write)
            command.frame()
        except ProtocolError as error:
            raise ProtocolError(f"{where}: {error.reason}") from None
        except (KeyError, ValueError, TypeError) as error:
            raise ProtocolError(f"{where}: bad command {dict(raw)!r}: {error}") from None
        return command


@dataclass(frozen=True)
class ModelSpec:
    key: str
    """Profile name, e.g. `iqos-3-duo`."""
    display_name: str
    name_prefix: str
    """Advertised local names start with this; it is how discovery tells models apart."""
    model_number: str
    """Device Information model number (0x2A24)."""
    holders: int
    """Holders that report in the battery and status frames (0 for one-piece devices)."""
    sessions_per_charge: int
    capabilities: frozenset[Capability]
    reset: Command | None
    codentify: Command | None
    status_bit7: StatusBit7 = StatusBit7.AMBIENT
    """How this model's status frames read flag bit 7."""
    advertising_window: AdvertisingWindow | None = None
    """None: the device advertises whenever it has no link."""

    def __str__(self) -> str:
        return self.display_name

    def __repr__(self) -> str:
        """Short, because reports show step parameters with repr."""
        return f"ModelSpec({self.key!r})"

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @classmethod
    def from_mapping(cls, key: str, raw: Any) -> ModelSpec:
        """Build from a profile's `protocol` section (already parsed YAML)."""
        where = f"profile {key}: protocol"
        problem = schema_problem(PROTOCOL_SCHEMA, raw, "protocol")
        if problem is not None:
            raise ProtocolError(problem)
        try:
            capabilities = frozenset(Capability(c) for c in raw.get("capabilities", []))
            reset = raw.get("reset")
            codentify = raw.get("codentify")
            window = _window(raw.get("advertising_window"))
            if window is not None:
                capabilities |= {Capability.ADVERTISING_WINDOW}
            return cls(
                key=key,
                display_name=str(raw["display_name"]),
                name_prefix=str(raw["name_prefix"]),
                model_number=str(raw["model_number"]),
                holders=int(raw["holders"]),
                sessions_per_charge=int(raw["sessions_per_charge"]),
                capabilities=capabilities,
                reset=Command.from_mapping(reset, f"{where}.reset") if reset else None,
                codentify=(
                    Command.from_mapping(codentify, f"{where}.codentify") if codentify else None
                ),
                status_bit7=StatusBit7(raw.get("status_bit7", StatusBit7.AMBIENT)),
                advertising_window=window,
            )
        except KeyError as missing:
            raise ProtocolError(f"{where}: missing key {missing}") from None
        except (ValueError, TypeError) as error:
            raise ProtocolError(f"{where}: {error}") from None


def _window(raw: Mapping[str, Any] | None) -> AdvertisingWindow | None:
    if raw is None:
        return None
    return AdvertisingWindow(
        float(raw["seconds"]), frozenset(WindowOpener(o) for o in raw["opened_by"])
    )
