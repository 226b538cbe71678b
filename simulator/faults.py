"""The named faults a simulated device can be given, listed by `iqos-sim faults`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from iqos.protocol import ChargerSystemError, EndOfHeatReason, HolderError, HolderWarning
from iqos.protocol.documents import decode
from iqos.protocol.model import schema_problem


class Kind(StrEnum):
    STATUS = "status"
    """Changes what the status or battery frame reports."""
    LINK = "link"
    """Changes how the device behaves on the link."""


@dataclass(frozen=True)
class Fault:
    name: str
    kind: Kind
    description: str
    needs_holder: bool = False


def _flag_faults() -> list[Fault]:
    faults = [
        Fault(
            f"charger_error_{str(flag.name).lower()}",
            Kind.STATUS,
            f"charger system error bit: {str(flag.name).lower().replace('_', ' ')}",
        )
        for flag in ChargerSystemError
    ]
    faults += [
        Fault(
            f"holder_error_{str(flag.name).lower()}",
            Kind.STATUS,
            f"holder error bit: {str(flag.name).lower().replace('_', ' ')}",
            needs_holder=True,
        )
        for flag in HolderError
    ]
    faults += [
        Fault(
            f"holder_warning_{str(flag.name).lower()}",
            Kind.STATUS,
            f"holder warning bit: {str(flag.name).lower().replace('_', ' ')}",
            needs_holder=True,
        )
        for flag in HolderWarning
    ]
    faults += [
        Fault(
            f"session_ended_{str(reason.name).lower()}",
            Kind.STATUS,
            f"the last heating session ended: {str(reason.name).lower().replace('_', ' ')}",
        )
        for reason in ABNORMAL_END_REASONS
    ]
    return faults


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
        Fault("charger_defect", Kind.STATUS, "charger defect bit of the charger state"),
        Fault("holder_defect", Kind.STATUS, "holder defect bit of the holder state", True),
        Fault("holder_system_error", Kind.STATUS, "holder system error register non-zero", True),
        Fault("charger_low_battery", Kind.STATUS, "charger battery at 5 %, low battery bit set"),
        Fault("holder_low_battery", Kind.STATUS, "holder battery empty (uncharged)", True),
        Fault("holder_missing", Kind.STATUS, "holder out of the charger (unplugged)", True),
        Fault("holder_rx_pin_open", Kind.STATUS, "holder connection: RX pin open", True),
        Fault("holder_tx_pin_open", Kind.STATUS, "holder connection: TX pin open", True),
        Fault("holder_not_connected", Kind.STATUS, "holder connection: not connected", True),
        Fault("ambient_too_hot", Kind.STATUS, "ambient temperature too high"),
        Fault("ambient_too_cold", Kind.STATUS, "ambient temperature too low"),
        Fault("cleaning_needed", Kind.STATUS, "holder state: cleaning", True),
        Fault("battery_aged", Kind.STATUS, "holder warning: battery aged", True),
        Fault("charging_timeout", Kind.STATUS, "charger system error: charging timeout"),
        Fault("refuse_pairing", Kind.LINK, "rejects every pairing request"),
        Fault(
            "disconnect_after_operations",
            Kind.LINK,
            "drops the link on the next request: a read (battery, status) or an SCP request",
        ),
        Fault("scp_no_answer", Kind.LINK, "stops answering SCP requests"),
        Fault("scp_bad_crc", Kind.LINK, "answers SCP requests with a bad CRC"),
        Fault("drop_notifications", Kind.LINK, "sends no battery or status notifications"),
        Fault(
            "slow_answers", Kind.LINK, "answers SCP requests late, well within the client's timeout"
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
