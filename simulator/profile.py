"""Device profiles (fixtures/devices/*.yaml, or the folder `IQOS_HIL_PROFILES` names):
validated, then typed.

Errors name the file, the key and the problem, because QA edits these by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import jsonschema

from iqos.protocol import ProtocolError
from iqos.protocol.documents import decode
from iqos.protocol.model import PROTOCOL_SCHEMA, ModelSpec, profiles_directory

_CELL = {
    "type": "object",
    "additionalProperties": False,
    "required": ["level"],
    "properties": {
        "level": {"type": "integer", "minimum": 0, "maximum": 100},
        "temperature": {"type": "integer", "minimum": 0, "maximum": 255},
        "voltage_mv": {"type": "integer", "minimum": 0, "maximum": 65535},
    },
}


class AmbientByte(StrEnum):
    """When the status frame carries the ambient temperature byte (flag bit 2)."""

    ALWAYS = "always"
    WHEN_NOT_OK = "when_not_ok"
    """Only when a holder's ambient is too low or too high: the one public capture,
    of a healthy device (`5B 00 00 00 03 00 00 42 0F`), has none."""
    NEVER = "never"


class Counter8E(StrEnum):
    """What the usage counter with tag 0x8E counts."""

    PUFFS = "puffs"
    """iqosctl's reading: the puff count."""
    SESSIONS = "sessions"
    """The protocol reference's reading."""


@dataclass(frozen=True)
class Behaviour:
    """How the device behaves where the public evidence is incomplete: each key of a
    profile's `behaviour` section, with the default a profile falls back to. A bench
    whose real device behaves otherwise changes the one line (docs/protocol.md)."""

    scp_extra_bytes: bool = True
    """Answer a short frame that carries bytes beyond its length code, under a valid
    CRC (public clients read the firmware so), or drop it."""
    scp_reassembly_seconds: float = 1.0
    """A fragmented write not finished this long after its last fragment is dropped,
    so a stray "more fragments" write cannot swallow the next request."""
    status_ambient_byte: AmbientByte = AmbientByte.WHEN_NOT_OK
    notify_on_subscribe: bool = False
    """Notify the current battery and status values when a client subscribes, or only
    when they change."""
    usage_counter_8e: Counter8E = Counter8E.PUFFS
    locked_refuses_heating: bool = True
    """A locked device will not start a heating session, which is what a lock is for
    in the app; no capture shows the refusal."""
    locator_seconds: float | None = 30.0
    """How long the device locator vibrates unless stopped, None for until stopped."""


_BEHAVIOUR: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "scp_extra_bytes": {"enum": ["answer", "ignore"]},
        "scp_reassembly_timeout_ms": {"type": "number", "exclusiveMinimum": 0},
        "status_ambient_byte": {"enum": [value.value for value in AmbientByte]},
        "notify_on_subscribe": {"type": "boolean"},
        "usage_counter_8e": {"enum": [value.value for value in Counter8E]},
        "locked_refuses_heating": {"type": "boolean"},
        "locator_seconds": {"type": ["number", "null"], "exclusiveMinimum": 0},
    },
}


def _behaviour(raw: dict[str, Any]) -> Behaviour:
    default = Behaviour()
    locator_seconds = raw.get("locator_seconds", default.locator_seconds)
    return Behaviour(
        scp_extra_bytes=raw.get("scp_extra_bytes", "answer") == "answer",
        scp_reassembly_seconds=float(
            raw.get("scp_reassembly_timeout_ms", default.scp_reassembly_seconds * 1000)
        )
        / 1000,
        status_ambient_byte=AmbientByte(
            raw.get("status_ambient_byte", default.status_ambient_byte)
        ),
        notify_on_subscribe=bool(raw.get("notify_on_subscribe", default.notify_on_subscribe)),
        usage_counter_8e=Counter8E(raw.get("usage_counter_8e", default.usage_counter_8e)),
        locked_refuses_heating=bool(
            raw.get("locked_refuses_heating", default.locked_refuses_heating)
        ),
        locator_seconds=None if locator_seconds is None else float(locator_seconds),
    )


SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["protocol", "identity", "timings", "state"],
    "properties": {
        "protocol": PROTOCOL_SCHEMA,
        "identity": {
            "type": "object",
            "additionalProperties": False,
            "required": ["serial", "firmware", "software_revision", "manufacturer"],
            "properties": {
                "serial": {
                    "type": "string",
                    "minLength": 4,
                    "maxLength": 14 * 2,
                    "pattern": "^[ -~]+$",
                },
                "firmware": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0, "maximum": 255},
                    "minItems": 4,
                    "maxItems": 4,
                },
                "software_revision": {"type": "string"},
                "manufacturer": {"type": "string"},
            },
        },
        "timings": {
            "type": "object",
            "additionalProperties": False,
            "required": ["advertising_interval_ms"],
            "properties": {
                "advertising_interval_ms": {"type": "number", "minimum": 20, "maximum": 10240},
                "holder_charge_seconds": {"type": "number", "exclusiveMinimum": 0},
            },
        },
        "state": {
            "type": "object",
            "additionalProperties": False,
            "required": ["charger"],
            "properties": {
                "charger": _CELL,
                "holder": _CELL,
                "holder_in_charger": {"type": "boolean"},
            },
        },
        "behaviour": _BEHAVIOUR,
    },
}


class ProfileError(ValueError):
    """A profile that cannot be used; the message names file, key and problem."""


@dataclass(frozen=True)
class Cell:
    level: int
    temperature: int = 25
    voltage_mv: int = 3900


@dataclass(frozen=True)
class DeviceProfile:
    key: str
    spec: ModelSpec
    serial: str
    firmware: tuple[int, int, int, int]
    software_revision: str
    manufacturer: str
    advertising_interval_ms: float
    holder_charge_seconds: float
    charger: Cell
    holder: Cell | None
    holder_in_charger: bool
    behaviour: Behaviour = field(default_factory=Behaviour)


def load_profile(path: Path) -> DeviceProfile:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ProfileError(f"{path}: cannot read: {error.strerror}") from None
    raw = decode(data, path, ProfileError)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    problems = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if problems:
        problem = problems[0]
        key = ".".join(str(p) for p in problem.absolute_path) or "(top level)"
        raise ProfileError(f"{path}: {key}: {problem.message}")
    key = path.stem
    try:
        spec = ModelSpec.from_mapping(key, raw["protocol"])
    except ProtocolError as error:
        raise ProfileError(f"{path}: {error.reason}") from None
    state = raw["state"]
    holder = Cell(**state["holder"]) if "holder" in state else None
    if (holder is None) != (spec.holders == 0):
        raise ProfileError(f"{path}: state.holder: must be given exactly when protocol.holders > 0")
    return DeviceProfile(
        key=key,
        spec=spec,
        serial=raw["identity"]["serial"],
        firmware=tuple(raw["identity"]["firmware"]),
        software_revision=raw["identity"]["software_revision"],
        manufacturer=raw["identity"]["manufacturer"],
        advertising_interval_ms=float(raw["timings"]["advertising_interval_ms"]),
        holder_charge_seconds=float(raw["timings"].get("holder_charge_seconds", 240)),
        charger=Cell(**state["charger"]),
        holder=holder,
        holder_in_charger=bool(state.get("holder_in_charger", holder is not None)),
        behaviour=_behaviour(raw.get("behaviour", {})),
    )


def load_profiles(directory: Path | None = None) -> dict[str, DeviceProfile]:
    """Every profile in `directory`, by default the folder the client reads its models
    from (`IQOS_HIL_PROFILES`), so that both know the same devices."""
    folder = profiles_directory() if directory is None else directory
    if not folder.is_dir():
        raise ProfileError(f"{folder}: no such folder of device profiles")
    profiles = {path.stem: load_profile(path) for path in sorted(folder.glob("*.yaml"))}
    if not profiles:
        raise ProfileError(f"{folder}: no device profiles (*.yaml) in it")
    return profiles


def find_profile(name: str, directory: Path | None = None) -> DeviceProfile:
    """By profile key (iqos-3-duo), display name (IQOS 3 DUO) or path to a YAML file."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return load_profile(path)
    profiles = load_profiles(directory)
    for profile in profiles.values():
        if name in (profile.key, profile.spec.display_name):
            return profile
    raise ProfileError(f"unknown model {name!r}; known: {', '.join(sorted(profiles))}")
