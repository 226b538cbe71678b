"""One diagnostics report from status, battery and firmware: what is wrong, how bad,
and what the user should do about it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from iqos.protocol import (
    AmbientState,
    BatteryInformation,
    ChargerSystemError,
    DeviceStatus,
    EndOfHeatReason,
    HolderConnection,
    HolderError,
    HolderState,
    HolderWarning,
    LastSession,
)


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    action: str


@dataclass(frozen=True)
class FindingKind:
    """A code the diagnostics can report. Every finding is made from one of these, so
    the catalogue is complete and docs/diagnostics.md is generated from it."""

    code: str
    severity: Severity
    message: str
    action: str
    raised_when: str
    """What in the device's answers raises it, in the words of the status frame."""

    def found(self, detail: str = "") -> Finding:
        """The finding as reported; `detail` is what only the device knows (a raw code)."""
        message = f"{self.message} {detail}" if detail else self.message
        return Finding(self.code, self.severity, message, self.action)


CONTACT_SUPPORT = "contact support: the device needs service"
_REINSERT = "insert the holder into the charger again"
_INSERT = "insert the holder into the charger"
_COOL_DOWN = "let the device cool down"
_RESET = "reset the device"
_CLEAN = "clean the holder"
_CONTACTS = "insert the holder into the charger again and clean its contacts"

_CHARGER_ERRORS = {
    ChargerSystemError.HOLDER_BATTERY_CHARGER_DEFECT: FindingKind(
        "charger_error_holder_battery_charger_defect",
        Severity.ERROR,
        "the holder charging circuit is defective",
        CONTACT_SUPPORT,
        "charger system error HOLDER_BATTERY_CHARGER_DEFECT",
    ),
    ChargerSystemError.CHARGING_TIMEOUT: FindingKind(
        "charger_error_charging_timeout",
        Severity.ERROR,
        "charging took too long",
        "plug the charger into another power source and charge again",
        "charger system error CHARGING_TIMEOUT",
    ),
    ChargerSystemError.CHARGER_BATTERY_CHARGER_DEFECT: FindingKind(
        "charger_error_charger_battery_charger_defect",
        Severity.ERROR,
        "the charger battery circuit is defective",
        CONTACT_SUPPORT,
        "charger system error CHARGER_BATTERY_CHARGER_DEFECT",
    ),
    ChargerSystemError.SELF_TEST_FAILURE: FindingKind(
        "charger_error_self_test_failure",
        Severity.ERROR,
        "the self-test failed",
        _RESET,
        "charger system error SELF_TEST_FAILURE",
    ),
}
_CHARGER_LOW_BATTERY = FindingKind(
    "charger_low_battery",
    Severity.WARNING,
    "the charger battery is low",
    "charge the pocket charger",
    "charger state: low battery",
)
_CHARGER_DEFECT = FindingKind(
    "charger_defect",
    Severity.ERROR,
    "the charger is defective",
    CONTACT_SUPPORT,
    "charger state: defect",
)
_HOLDER_STATES = {
    HolderState.UNPLUGGED: FindingKind(
        "holder_not_in_charger",
        Severity.INFO,
        "the holder is out of the charger",
        _INSERT,
        "holder state UNPLUGGED, on a model with a holder",
    ),
    HolderState.UNCHARGED: FindingKind(
        "holder_uncharged",
        Severity.WARNING,
        "the holder is empty",
        _INSERT,
        "holder state UNCHARGED, on a model with a holder",
    ),
    HolderState.CLEANING: FindingKind(
        "cleaning_needed",
        Severity.WARNING,
        "the holder needs cleaning",
        _CLEAN,
        "holder state CLEANING, on a model with a holder",
    ),
}
_CONNECTION = {
    HolderConnection.RX_PIN_OPEN: FindingKind(
        "holder_rx_pin_open",
        Severity.ERROR,
        "holder connection: rx pin open",
        _CONTACTS,
        "holder connection RX_PIN_OPEN, on a model with a holder",
    ),
    HolderConnection.TX_PIN_OPEN: FindingKind(
        "holder_tx_pin_open",
        Severity.ERROR,
        "holder connection: tx pin open",
        _CONTACTS,
        "holder connection TX_PIN_OPEN, on a model with a holder",
    ),
    HolderConnection.NOT_CONNECTED: FindingKind(
        "holder_not_connected",
        Severity.ERROR,
        "holder connection: not connected",
        _CONTACTS,
        "holder connection NOT_CONNECTED, on a model with a holder",
    ),
}
_HOLDER_DEFECT = FindingKind(
    "holder_defect",
    Severity.ERROR,
    "the holder is defective",
    CONTACT_SUPPORT,
    "holder state: defect, on a model with a holder",
)
_BATTERY_EMPTY = FindingKind(
    "battery_empty",
    Severity.WARNING,
    "the battery is too low for a session",
    "charge the device",
    "holder state UNCHARGED, on a model without a holder (IQOS 3 Multi)",
)
_AMBIENT = {
    AmbientState.TOO_LOW: FindingKind(
        "ambient_too_cold",
        Severity.WARNING,
        "the device is too cold",
        "let the device warm up",
        "ambient temperature TOO_LOW",
    ),
    AmbientState.TOO_HIGH: FindingKind(
        "ambient_too_hot",
        Severity.WARNING,
        "the device is too hot",
        _COOL_DOWN,
        "ambient temperature TOO_HIGH",
    ),
}
_HOLDER_ERRORS = {
    HolderError.SYSTEM_DEFECT: FindingKind(
        "holder_error_system_defect",
        Severity.ERROR,
        "the holder has a system defect",
        CONTACT_SUPPORT,
        "holder 1 error SYSTEM_DEFECT",
    ),
    HolderError.CHARGING_TIMEOUT: FindingKind(
        "holder_error_charging_timeout",
        Severity.ERROR,
        "the holder took too long to charge",
        _REINSERT,
        "holder 1 error CHARGING_TIMEOUT",
    ),
    HolderError.TEMPERATURE_OUT_OF_RANGE: FindingKind(
        "holder_error_temperature_out_of_range",
        Severity.ERROR,
        "the holder temperature is out of range",
        "let the device return to room temperature",
        "holder 1 error TEMPERATURE_OUT_OF_RANGE",
    ),
    HolderError.IDENTIFICATION_FAILURE: FindingKind(
        "holder_error_identification_failure",
        Severity.ERROR,
        "the charger cannot identify the holder",
        "clean the holder contacts and insert it again",
        "holder 1 error IDENTIFICATION_FAILURE",
    ),
}
_HOLDER_WARNINGS = {
    HolderWarning.COMMUNICATION_PROBLEM: FindingKind(
        "holder_warning_communication_problem",
        Severity.WARNING,
        "the holder does not answer the charger reliably",
        _REINSERT,
        "holder 1 warning COMMUNICATION_PROBLEM",
    ),
    HolderWarning.NULL_CHARGING_COUNT: FindingKind(
        "holder_warning_null_charging_count",
        Severity.WARNING,
        "the holder has never been charged",
        "charge the holder",
        "holder 1 warning NULL_CHARGING_COUNT",
    ),
    HolderWarning.PROTOCOL_NOT_SUPPORTED: FindingKind(
        "holder_warning_protocol_not_supported",
        Severity.WARNING,
        "the holder firmware does not match the charger",
        CONTACT_SUPPORT,
        "holder 1 warning PROTOCOL_NOT_SUPPORTED",
    ),
    HolderWarning.BATTERY_AGED: FindingKind(
        "battery_aged",
        Severity.WARNING,
        "the holder battery is aged",
        "consider replacing the holder",
        "holder 1 warning BATTERY_AGED",
    ),
}
_HOLDER_SYSTEM_ERROR = FindingKind(
    "holder_system_error",
    Severity.ERROR,
    "holder system error",
    _RESET,
    "holder 1 system error: any non-zero code (the message shows it in hex)",
)
_SESSION_PROBLEMS = {
    EndOfHeatReason.HEATER_TOO_HOT: FindingKind(
        "session_ended_heater_too_hot",
        Severity.WARNING,
        "the last session ended: heater too hot",
        _COOL_DOWN,
        "holder 1 last session end reason HEATER_TOO_HOT",
    ),
    EndOfHeatReason.HEATER_POWER_OUT_OF_RANGE: FindingKind(
        "session_ended_heater_power_out_of_range",
        Severity.ERROR,
        "the last session ended: heater power out of range",
        _RESET,
        "holder 1 last session end reason HEATER_POWER_OUT_OF_RANGE",
    ),
    EndOfHeatReason.LOW_BATTERY: FindingKind(
        "session_ended_low_battery",
        Severity.WARNING,
        "the last session ended: low battery",
        _INSERT,
        "holder 1 last session end reason LOW_BATTERY",
    ),
    EndOfHeatReason.SYSTEM_FAULT: FindingKind(
        "session_ended_system_fault",
        Severity.ERROR,
        "the last session ended: system fault",
        _RESET,
        "holder 1 last session end reason SYSTEM_FAULT",
    ),
    EndOfHeatReason.AMBIENT_TOO_HOT: FindingKind(
        "session_ended_ambient_too_hot",
        Severity.WARNING,
        "the last session ended: ambient too hot",
        _COOL_DOWN,
        "holder 1 last session end reason AMBIENT_TOO_HOT",
    ),
    EndOfHeatReason.HEATER_VARIATION: FindingKind(
        "session_ended_heater_variation",
        Severity.WARNING,
        "the last session ended: heater variation",
        _CLEAN,
        "holder 1 last session end reason HEATER_VARIATION",
    ),
}

FINDINGS: tuple[FindingKind, ...] = (
    *_CHARGER_ERRORS.values(),
    _CHARGER_LOW_BATTERY,
    _CHARGER_DEFECT,
    *_HOLDER_STATES.values(),
    *_CONNECTION.values(),
    _HOLDER_DEFECT,
    _BATTERY_EMPTY,
    *_AMBIENT.values(),
    *_HOLDER_ERRORS.values(),
    *_HOLDER_WARNINGS.values(),
    _HOLDER_SYSTEM_ERROR,
    *_SESSION_PROBLEMS.values(),
)
"""Every kind of finding, in the order a report lists them."""


def _name(flag: Any) -> str:
    return str(flag.name).lower()


def findings(status: DeviceStatus, holders: int) -> list[Finding]:
    """Everything a status says is wrong or worth knowing; the battery levels are the
    report's own lines, not findings."""
    charger_errors = status.charger_system_error
    out = [
        kind.found()
        for flag, kind in _CHARGER_ERRORS.items()
        if charger_errors and flag in charger_errors
    ]
    if status.charger is not None:
        if status.charger.low_battery:
            out.append(_CHARGER_LOW_BATTERY.found())
        if status.charger.defect:
            out.append(_CHARGER_DEFECT.found())
    holder = status.holder
    if holder is not None and holders:
        if holder.state in _HOLDER_STATES:
            out.append(_HOLDER_STATES[holder.state].found())
        if holder.connection in _CONNECTION:
            out.append(_CONNECTION[holder.connection].found())
        if holder.defect:
            out.append(_HOLDER_DEFECT.found())
    if holder is not None and not holders and holder.state is HolderState.UNCHARGED:
        out.append(_BATTERY_EMPTY.found())
    if status.ambient is not None and status.ambient.holder in _AMBIENT:
        out.append(_AMBIENT[status.ambient.holder].found())
    record = status.holder1
    out += [
        kind.found() for bit, kind in _HOLDER_ERRORS.items() if record.error and bit in record.error
    ]
    out += [
        kind.found()
        for bit, kind in _HOLDER_WARNINGS.items()
        if record.warning and bit in record.warning
    ]
    if record.system_error:
        out.append(_HOLDER_SYSTEM_ERROR.found(f"0x{record.system_error:08X}"))
    session = record.last_session
    if session is not None and session.end_reason in _SESSION_PROBLEMS:
        out.append(_SESSION_PROBLEMS[session.end_reason].found())
    return out


@dataclass(frozen=True)
class Diagnostics:
    model: str
    firmware: str
    serial: str
    """Masked unless the caller asked for the full serial."""
    battery: BatteryInformation
    status: DeviceStatus
    findings: list[Finding] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not any(f.severity is not Severity.INFO for f in self.findings)

    @property
    def last_session(self) -> LastSession | None:
        return self.status.holder1.last_session

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "firmware": self.firmware,
            "serial": self.serial,
            "healthy": self.healthy,
            "battery": asdict(self.battery),
            "findings": [asdict(f) for f in self.findings],
            "last_session": (
                {
                    "end_reason": _name(self.last_session.end_reason),
                    "puffs": self.last_session.puff_count,
                }
                if self.last_session
                else None
            ),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)
