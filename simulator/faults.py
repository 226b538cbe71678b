"""The named faults a simulated device can be given, listed by `iqos-sim faults`.

Each entry carries its effect: what the model reports or the radio does while the
fault is set. The model and the adapters read effects (`SimulatedDevice.effect`,
`SimulatedDevice.link_fault`), never fault names, so a fault's whole meaning is
here, next to its name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum, auto
from pathlib import Path
from typing import Any

from iqos.protocol import (
    AmbientState,
    ChargerSystemError,
    EndOfHeatReason,
    HolderConnection,
    HolderError,
    HolderWarning,
)
from iqos.protocol.documents import decode
from iqos.protocol.model import schema_problem
from simulator.profile import AmbientByte, DeviceProfile


class Kind(StrEnum):
    STATUS = "status"
    """Changes what the status or battery frame reports."""
    LINK = "link"
    """Changes how the device behaves on the link."""


class LinkFault(Enum):
    """What a link fault makes the radio adapters do (the catalogue describes each)."""

    REFUSE_PAIRING = auto()
    DISCONNECT_ON_REQUEST = auto()
    NO_SCP_ANSWER = auto()
    BAD_SCP_CRC = auto()
    DROP_NOTIFICATIONS = auto()
    SLOW_SCP_ANSWERS = auto()


def _worst(first: Any, second: Any) -> Any:
    """Of two optional enum values, the higher (too high over too low, not connected
    over a pin open), so the outcome does not depend on the order faults were set."""
    if first is None or second is None:
        return second if first is None else first
    return max(first, second)


_NO_CHARGER_ERROR = ChargerSystemError(0)
_NO_HOLDER_ERROR = HolderError(0)
_NO_HOLDER_WARNING = HolderWarning(0)


@dataclass(frozen=True)
class Effect:
    """What a fault changes while it is set; fields left at their defaults change
    nothing. Effects of several faults add up with `|`."""

    charger_system_error: ChargerSystemError = _NO_CHARGER_ERROR
    holder_error: HolderError = _NO_HOLDER_ERROR
    holder_warning: HolderWarning = _NO_HOLDER_WARNING
    charger_defect: bool = False
    holder_defect: bool = False
    holder_system_error: int | None = None
    holder_connection: HolderConnection | None = None
    ambient: AmbientState | None = None
    holder_cleaning: bool = False
    holder_missing: bool = False
    """The holder is reported out of the charger."""
    holder_empty: bool = False
    """The holder reads 0 %, uncharged, and does not charge."""
    charger_level_at_most: int | None = None
    """Applied once, when the fault is set: the charger battery drops to this level."""
    ends_session: EndOfHeatReason | None = None
    """Applied once, when the fault is set, and not kept: the session ends so."""
    links: frozenset[LinkFault] = field(default_factory=frozenset)

    def __or__(self, other: Effect) -> Effect:
        return Effect(
            charger_system_error=self.charger_system_error | other.charger_system_error,
            holder_error=self.holder_error | other.holder_error,
            holder_warning=self.holder_warning | other.holder_warning,
            charger_defect=self.charger_defect or other.charger_defect,
            holder_defect=self.holder_defect or other.holder_defect,
            holder_system_error=_worst(self.holder_system_error, other.holder_system_error),
            holder_connection=_worst(self.holder_connection, other.holder_connection),
            ambient=_worst(self.ambient, other.ambient),
            holder_cleaning=self.holder_cleaning or other.holder_cleaning,
            holder_missing=self.holder_missing or other.holder_missing,
            holder_empty=self.holder_empty or other.holder_empty,
            charger_level_at_most=_lowest(self.charger_level_at_most, other.charger_level_at_most),
            ends_session=other.ends_session or self.ends_session,
            links=self.links | other.links,
        )


def _lowest(first: int | None, second: int | None) -> int | None:
    if first is None or second is None:
        return second if first is None else first
    return min(first, second)


HEALTHY = Effect()

HOLDER_SYSTEM_ERROR = 0x00000102
"""The holder system error value the `holder_system_error` fault reports (assumed)."""


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    effect: Effect
    needs_holder: bool = False

    @property
    def kind(self) -> Kind:
        """A reset clears status faults and keeps link faults (test conditions)."""
        return Kind.LINK if self.effect.links else Kind.STATUS

    def impossible_on(self, profile: DeviceProfile) -> str | None:
        """Why a device of `profile` cannot have this fault (it could not show it), or None."""
        if self.needs_holder and profile.holder is None:
            return "has no holder"
        never = profile.behaviour.status_ambient_byte is AmbientByte.NEVER
        if self.effect.ambient is not None and never:
            return "never reports the ambient temperature (behaviour.status_ambient_byte)"
        return None


def _words(name: str | None) -> str:
    return str(name).lower().replace("_", " ")


def _flag_faults() -> list[Fault]:
    faults = [
        Fault(
            f"charger_error_{str(flag.name).lower()}",
            f"charger system error bit: {_words(flag.name)}",
            Effect(charger_system_error=flag),
        )
        for flag in ChargerSystemError
    ]
    faults += [
        Fault(
            f"holder_error_{str(flag.name).lower()}",
            f"holder error bit: {_words(flag.name)}",
            Effect(holder_error=flag),
            needs_holder=True,
        )
        for flag in HolderError
    ]
    faults += [
        Fault(
            f"holder_warning_{str(flag.name).lower()}",
            f"holder warning bit: {_words(flag.name)}",
            Effect(holder_warning=flag),
            needs_holder=True,
        )
        for flag in HolderWarning
    ]
    faults += [
        Fault(
            f"session_ended_{str(reason.name).lower()}",
            f"the last heating session ended: {_words(reason.name)}",
            Effect(ends_session=reason),
        )
        for reason in ABNORMAL_END_REASONS
    ]
    return faults


def _link(name: str, description: str, effect: LinkFault) -> Fault:
    return Fault(name, description, Effect(links=frozenset({effect})))


ABNORMAL_END_REASONS = (
    EndOfHeatReason.HEATER_TOO_HOT,
    EndOfHeatReason.HEATER_POWER_OUT_OF_RANGE,
    EndOfHeatReason.LOW_BATTERY,
    EndOfHeatReason.SYSTEM_FAULT,
    EndOfHeatReason.AMBIENT_TOO_HOT,
    EndOfHeatReason.HEATER_VARIATION,
)
"""End-of-heat reasons no user action can cause; faults make the device report them."""


CATALOGUE: dict[str, Fault] = {
    fault.name: fault
    for fault in [
        *_flag_faults(),
        Fault(
            "charger_defect", "charger defect bit of the charger state", Effect(charger_defect=True)
        ),
        Fault(
            "holder_defect",
            "holder defect bit of the holder state",
            Effect(holder_defect=True),
            needs_holder=True,
        ),
        Fault(
            "holder_system_error",
            "holder system error register non-zero",
            Effect(holder_system_error=HOLDER_SYSTEM_ERROR),
            needs_holder=True,
        ),
        Fault(
            "charger_low_battery",
            "charger battery at 5 %, low battery bit set",
            Effect(charger_level_at_most=5),
        ),
        Fault(
            "holder_low_battery",
            "holder battery empty (uncharged)",
            Effect(holder_empty=True),
            needs_holder=True,
        ),
        Fault(
            "holder_missing",
            "holder out of the charger (unplugged)",
            Effect(holder_missing=True),
            needs_holder=True,
        ),
        Fault(
            "holder_rx_pin_open",
            "holder connection: RX pin open",
            Effect(holder_connection=HolderConnection.RX_PIN_OPEN),
            needs_holder=True,
        ),
        Fault(
            "holder_tx_pin_open",
            "holder connection: TX pin open",
            Effect(holder_connection=HolderConnection.TX_PIN_OPEN),
            needs_holder=True,
        ),
        Fault(
            "holder_not_connected",
            "holder connection: not connected",
            Effect(holder_connection=HolderConnection.NOT_CONNECTED),
            needs_holder=True,
        ),
        Fault(
            "ambient_too_hot", "ambient temperature too high", Effect(ambient=AmbientState.TOO_HIGH)
        ),
        Fault(
            "ambient_too_cold", "ambient temperature too low", Effect(ambient=AmbientState.TOO_LOW)
        ),
        Fault(
            "cleaning_needed",
            "holder state: cleaning",
            Effect(holder_cleaning=True),
            needs_holder=True,
        ),
        Fault(
            "battery_aged",
            "holder warning: battery aged",
            Effect(holder_warning=HolderWarning.BATTERY_AGED),
            needs_holder=True,
        ),
        Fault(
            "charging_timeout",
            "charger system error: charging timeout",
            Effect(charger_system_error=ChargerSystemError.CHARGING_TIMEOUT),
        ),
        _link("refuse_pairing", "rejects every pairing request", LinkFault.REFUSE_PAIRING),
        _link(
            "disconnect_after_operations",
            "drops the link on the next request: a read of any characteristic, or an SCP request",
            LinkFault.DISCONNECT_ON_REQUEST,
        ),
        _link("scp_no_answer", "stops answering SCP requests", LinkFault.NO_SCP_ANSWER),
        _link("scp_bad_crc", "answers SCP requests with a bad CRC", LinkFault.BAD_SCP_CRC),
        _link(
            "drop_notifications",
            "sends no battery or status notifications",
            LinkFault.DROP_NOTIFICATIONS,
        ),
        _link(
            "slow_answers",
            "answers SCP requests late, well within the client's timeout",
            LinkFault.SLOW_SCP_ANSWERS,
        ),
    ]
}


class UnknownFault(KeyError):
    def __str__(self) -> str:
        return f"unknown fault {self.args[0]!r}; `iqos-sim faults` lists them"


FAULT_SCRIPTS = Path(__file__).resolve().parent.parent / "fixtures" / "faults"


class FaultScriptError(ValueError):
    """A fault script that cannot be used: one line naming the file and the problem."""


SCRIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["faults"],
    "properties": {
        "description": {"type": "string"},
        "faults": {"type": "array", "items": {"type": "string"}},
    },
}


def load_script(name: str, directory: Path = FAULT_SCRIPTS) -> list[str]:
    """The faults a named script (fixtures/faults/<name>.yaml, or a path) sets at start."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else directory / f"{name}.yaml"
    try:
        data = path.read_bytes()
    except OSError as error:
        known = ", ".join(sorted(p.stem for p in directory.glob("*.yaml")))
        raise FaultScriptError(
            f"fault script {name!r}: {error.strerror}; scripts: {known}"
        ) from None
    raw = decode(data, path, FaultScriptError)
    problem = schema_problem(SCRIPT_SCHEMA, raw, "script")
    if problem is not None:
        raise FaultScriptError(f"{path}: {problem}")
    for index, fault in enumerate(raw["faults"]):
        if fault not in CATALOGUE:
            raise FaultScriptError(f"{path}: script.faults.{index}: {UnknownFault(fault)}")
    return list(raw["faults"])


def lookup(name: str) -> Fault:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise UnknownFault(name) from None


def combined(names: set[str]) -> Effect:
    """What a set of faults does together."""
    effect = HEALTHY
    for name in names:
        effect |= lookup(name).effect
    return effect
