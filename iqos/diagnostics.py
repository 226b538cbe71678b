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


CONTACT_SUPPORT = "contact support: the device needs service"

_CHARGER_ERRORS = {
    ChargerSystemError.HOLDER_BATTERY_CHARGER_DEFECT: (
        "the holder charging circuit is defective",
        CONTACT_SUPPORT,
    ),
    ChargerSystemError.CHARGING_TIMEOUT: (
        "charging took too long",
        "plug the charger into another power source and charge again",
    ),
    ChargerSystemError.CHARGER_BATTERY_CHARGER_DEFECT: (
        "the charger battery circuit is defective",
        CONTACT_SUPPORT,
    ),
    ChargerSystemError.SELF_TEST_FAILURE: ("the self-test failed", "reset the device"),
}
_HOLDER_ERRORS = {
    HolderError.SYSTEM_DEFECT: ("the holder has a system defect", CONTACT_SUPPORT),
    HolderError.CHARGING_TIMEOUT: (
        "the holder took too long to charge",
        "insert the holder into the charger again",
    ),
    HolderError.TEMPERATURE_OUT_OF_RANGE: (
        "the holder temperature is out of range",
        "let the device return to room temperature",
    ),
    HolderError.IDENTIFICATION_FAILURE: (
        "the charger cannot identify the holder",
        "clean the holder contacts and insert it again",
    ),
}
_HOLDER_WARNINGS = {
    HolderWarning.COMMUNICATION_PROBLEM: (
        "the holder does not answer the charger reliably",
        "insert the holder into the charger again",
    ),
    HolderWarning.NULL_CHARGING_COUNT: ("the holder has never been charged", "charge the holder"),
    HolderWarning.PROTOCOL_NOT_SUPPORTED: (
        "the holder firmware does not match the charger",
        CONTACT_SUPPORT,
    ),
    HolderWarning.BATTERY_AGED: ("the holder battery is aged", "consider replacing the holder"),
}
_CONNECTION = {
    HolderConnection.RX_PIN_OPEN: "holder_rx_pin_open",
    HolderConnection.TX_PIN_OPEN: "holder_tx_pin_open",
    HolderConnection.NOT_CONNECTED: "holder_not_connected",
}
_SESSION_PROBLEMS = {
    EndOfHeatReason.HEATER_TOO_HOT: (Severity.WARNING, "let the device cool down"),
    EndOfHeatReason.HEATER_POWER_OUT_OF_RANGE: (Severity.ERROR, "reset the device"),
    EndOfHeatReason.LOW_BATTERY: (Severity.WARNING, "insert the holder into the charger"),
    EndOfHeatReason.SYSTEM_FAULT: (Severity.ERROR, "reset the device"),
    EndOfHeatReason.AMBIENT_TOO_HOT: (Severity.WARNING, "let the device cool down"),
    EndOfHeatReason.HEATER_VARIATION: (Severity.WARNING, "clean the holder"),
}


def _name(flag: Any) -> str:
    return str(flag.name).lower()


def findings(status: DeviceStatus, battery: BatteryInformation, holders: int) -> list[Finding]:
    out: list[Finding] = []
    for flag, (message, action) in _CHARGER_ERRORS.items():
        if status.charger_system_error and flag in status.charger_system_error:
            out.append(Finding(f"charger_error_{_name(flag)}", Severity.ERROR, message, action))
    if status.charger is not None:
        if status.charger.low_battery:
            out.append(
                Finding(
                    "charger_low_battery",
                    Severity.WARNING,
                    "the charger battery is low",
                    "charge the pocket charger",
                )
            )
        if status.charger.defect:
            out.append(
                Finding(
                    "charger_defect", Severity.ERROR, "the charger is defective", CONTACT_SUPPORT
                )
            )
    holder = status.holder
    if holder is not None and holders:
        if holder.state is HolderState.UNPLUGGED:
            out.append(
                Finding(
                    "holder_not_in_charger",
                    Severity.INFO,
                    "the holder is out of the charger",
                    "insert the holder into the charger",
                )
            )
        elif holder.state is HolderState.UNCHARGED:
            out.append(
                Finding(
                    "holder_uncharged",
                    Severity.WARNING,
                    "the holder is empty",
                    "insert the holder into the charger",
                )
            )
        elif holder.state is HolderState.CLEANING:
            out.append(
                Finding(
                    "cleaning_needed",
                    Severity.WARNING,
                    "the holder needs cleaning",
                    "clean the holder",
                )
            )
        if holder.connection in _CONNECTION:
            out.append(
                Finding(
                    _CONNECTION[holder.connection],
                    Severity.ERROR,
                    f"holder connection: {_name(holder.connection).replace('_', ' ')}",
                    "insert the holder into the charger again and clean its contacts",
                )
            )
        if holder.defect:
            out.append(
                Finding("holder_defect", Severity.ERROR, "the holder is defective", CONTACT_SUPPORT)
            )
    if holder is not None and not holders and holder.state is HolderState.UNCHARGED:
        out.append(
            Finding(
                "battery_empty",
                Severity.WARNING,
                "the battery is too low for a session",
                "charge the device",
            )
        )
    if status.ambient is not None:
        if status.ambient.holder is AmbientState.TOO_LOW:
            out.append(
                Finding(
                    "ambient_too_cold",
                    Severity.WARNING,
                    "the device is too cold",
                    "let the device warm up",
                )
            )
        elif status.ambient.holder is AmbientState.TOO_HIGH:
            out.append(
                Finding(
                    "ambient_too_hot",
                    Severity.WARNING,
                    "the device is too hot",
                    "let the device cool down",
                )
            )
    record = status.holder1
    for error_bit, (message, action) in _HOLDER_ERRORS.items():
        if record.error and error_bit in record.error:
            code = f"holder_error_{_name(error_bit)}"
            out.append(Finding(code, Severity.ERROR, message, action))
    for warning_bit, (message, action) in _HOLDER_WARNINGS.items():
        if record.warning and warning_bit in record.warning:
            code = (
                "battery_aged"
                if warning_bit is HolderWarning.BATTERY_AGED
                else f"holder_warning_{_name(warning_bit)}"
            )
            out.append(Finding(code, Severity.WARNING, message, action))
    if record.system_error:
        out.append(
            Finding(
                "holder_system_error",
                Severity.ERROR,
                f"holder system error 0x{record.system_error:08X}",
                "reset the device",
            )
        )
    session = record.last_session
    if session is not None and session.end_reason in _SESSION_PROBLEMS:
        severity, action = _SESSION_PROBLEMS[session.end_reason]
        reason = _name(session.end_reason)
        out.append(
            Finding(
                f"session_ended_{reason}",
                severity,
                f"the last session ended: {reason.replace('_', ' ')}",
                action,
            )
        )
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
