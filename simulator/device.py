"""A simulated IQOS device: a pure state machine on a simulated clock.

One class serves the three models; what differs (holder or not, sessions per
charge, capabilities) comes from the profile. It knows nothing of radios: an
adapter reads its frames, hands it SCP requests, and listens for changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntFlag
from typing import Any, TypeVar

from iqos.protocol import (
    AmbientState,
    AmbientTemperature,
    BatteryInformation,
    CellReading,
    ChargerState,
    ChargerStatus,
    ChargerSystemError,
    DeviceStatus,
    EndOfHeatReason,
    HolderConnection,
    HolderError,
    HolderRecord,
    HolderState,
    HolderStatus,
    HolderWarning,
    LastSession,
    PairingState,
)
from iqos.protocol.registers import VibrationSettings
from simulator.clock import SimulatedClock
from simulator.faults import Kind, lookup
from simulator.profile import DeviceProfile

SESSION_SECONDS = 6 * 60
PUFF_LIMIT = 14
LONG_PRESS_SECONDS = 10.0
LOW_BATTERY_PERCENT = 10
FOREIGN_BOND = "another-phone"
"""Who a device 'not in pairing mode' is bonded to: some other phone, not this app."""


_Flag = TypeVar("_Flag", bound=IntFlag)


def _set_bits(kind: type[_Flag], prefix: str, faults: set[str]) -> _Flag:
    """The register value that the `<prefix><bit name>` faults add up to."""
    value = kind(0)
    for bit in kind:
        if f"{prefix}{str(bit.name).lower()}" in faults:
            value |= bit
    return value


class DeviceRefused(RuntimeError):
    """The device cannot do that in its current state (no charge, holder in the charger)."""


@dataclass
class Heating:
    started: float
    puffs: int = 0


@dataclass
class Holder:
    sessions_left: int
    in_charger: bool
    charging_until: float | None = None
    connection: HolderConnection = HolderConnection.FULL


@dataclass
class Charger:
    level: int
    temperature: int
    voltage_mv: int


@dataclass
class SimulatedDevice:
    profile: DeviceProfile
    clock: SimulatedClock
    address: str
    charger: Charger = field(init=False)
    holder: Holder | None = field(init=False)
    heating: Heating | None = None
    last_session: LastSession | None = None
    sessions_smoked: int = 0
    bonds: set[str] = field(default_factory=set)
    pairing_mode: bool = True
    haptics: VibrationSettings = field(default_factory=VibrationSettings)
    vibrating: bool = False
    locked: bool = False
    brightness: int = 100
    clock_origin: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    faults: set[str] = field(default_factory=set)
    listeners: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        start = self.profile
        self.charger = Charger(
            start.charger.level, start.charger.temperature, start.charger.voltage_mv
        )
        if start.holder is None:
            self.holder = None
        else:
            full = start.spec.sessions_per_charge
            self.holder = Holder(
                sessions_left=round(full * start.holder.level / 100),
                in_charger=start.holder_in_charger,
            )
        self._session_timer: Any = None
        self._charge_timer: Any = None

    @property
    def name(self) -> str:
        return f"{self.profile.spec.name_prefix} {self.address.replace(':', '')[-4:]}"

    @property
    def model(self) -> str:
        return self.profile.spec.display_name

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    # --- what the radio shows ---------------------------------------------------------

    @property
    def pairing_state(self) -> PairingState:
        return PairingState.PAIRING_MODE if self.pairing_mode else PairingState.BONDED

    def holder_level(self) -> int:
        if self.holder is None:
            return 0
        if "holder_low_battery" in self.faults:
            return 0
        return 100 * self.holder.sessions_left // self.profile.spec.sessions_per_charge

    def battery(self) -> BatteryInformation:
        charger = CellReading(self.charger.level, self.charger.temperature, self.charger.voltage_mv)
        if self.holder is None or not self._holder_present():
            return BatteryInformation(charger=charger)
        return BatteryInformation(charger=charger, holder=CellReading(level=self.holder_level()))

    def _holder_present(self) -> bool:
        return (
            self.holder is not None
            and self.holder.in_charger
            and "holder_missing" not in self.faults
        )

    def holder_state(self) -> HolderState:
        if self.holder is None:
            return (
                HolderState.READY_TO_USE
                if self.charger.level >= LOW_BATTERY_PERCENT
                else HolderState.UNCHARGED
            )
        if not self._holder_present():
            return HolderState.UNPLUGGED
        if "cleaning_needed" in self.faults:
            return HolderState.CLEANING
        if self.holder_level() == 0 and (
            "holder_low_battery" in self.faults or self.holder.charging_until is None
        ):
            return HolderState.UNCHARGED
        if self.holder.charging_until is not None:
            return HolderState.CHARGING
        return HolderState.READY_TO_USE

    def status(self) -> DeviceStatus:
        faults = self.faults
        system_error = _set_bits(ChargerSystemError, "charger_error_", faults)
        if "charging_timeout" in faults:
            system_error |= ChargerSystemError.CHARGING_TIMEOUT
        charger = ChargerStatus(
            state=ChargerState.IDLE,
            low_battery=self.charger.level < LOW_BATTERY_PERCENT,
            defect="charger_defect" in faults,
        )
        connection = self.holder.connection if self.holder else HolderConnection.FULL
        for name, value in (
            ("holder_rx_pin_open", HolderConnection.RX_PIN_OPEN),
            ("holder_tx_pin_open", HolderConnection.TX_PIN_OPEN),
            ("holder_not_connected", HolderConnection.NOT_CONNECTED),
        ):
            if name in faults:
                connection = value
        holder = HolderStatus(self.holder_state(), connection, "holder_defect" in faults)
        ambient = AmbientTemperature(
            AmbientState.TOO_HIGH
            if "ambient_too_hot" in faults
            else AmbientState.TOO_LOW
            if "ambient_too_cold" in faults
            else AmbientState.OK
        )
        session = self.last_session
        if self.heating is not None:
            session = LastSession(EndOfHeatReason.HEATING_IN_PROGRESS, self.heating.puffs)
        record = HolderRecord(last_session=session)
        if self.holder is not None:
            error = _set_bits(HolderError, "holder_error_", faults)
            warning = _set_bits(HolderWarning, "holder_warning_", faults)
            if "battery_aged" in faults:
                warning |= HolderWarning.BATTERY_AGED
            record = HolderRecord(
                error=error,
                warning=warning,
                system_error=0x00000102 if "holder_system_error" in faults else None,
                last_session=session,
            )
        return DeviceStatus(system_error, charger, holder, ambient, record)

    def error_code(self) -> int:
        """SCP error code register: 0 when healthy (the non-zero values are assumed)."""
        status = self.status()
        codes = [
            int(status.charger_system_error or 0),
            int(status.holder1.error or 0) << 4,
            0x100 if status.charger and status.charger.defect else 0,
        ]
        return next((code for code in codes if code), 0)

    def device_clock(self) -> datetime:
        return self.clock_origin + timedelta(seconds=self.clock.now)

    def set_device_clock(self, moment: datetime) -> None:
        self.clock_origin = moment - timedelta(seconds=self.clock.now)

    # --- bonds -----------------------------------------------------------------------

    @property
    def accepts_new_pairings(self) -> bool:
        """In pairing mode, and not refusing: a peer it has no bond with may pair."""
        return self.pairing_mode and "refuse_pairing" not in self.faults

    def accepts_pairing(self, peer: str) -> bool:
        if "refuse_pairing" in self.faults:
            return False
        return self.accepts_new_pairings or peer in self.bonds

    def bonded(self, peer: str) -> None:
        self.bonds.add(peer)
        self.pairing_mode = False
        self._changed()

    def enter_pairing_mode(self) -> None:
        self.pairing_mode = True
        self._changed()

    def leave_pairing_mode(self) -> None:
        """On, but not pairable: bonded to a phone that is not this app."""
        self.bonds.add(FOREIGN_BOND)
        self.pairing_mode = False
        self._changed()

    # --- physical actions ------------------------------------------------------------

    def remove_holder(self) -> None:
        holder = self._require_holder()
        holder.in_charger = False
        self.clock.cancel(self._charge_timer)
        holder.charging_until = None
        self._changed()

    def insert_holder(self) -> None:
        holder = self._require_holder()
        if self.heating is not None:
            self._end_session(EndOfHeatReason.USER_ACTION)
        holder.in_charger = True
        self._start_charging()
        self._changed()

    def _start_charging(self) -> None:
        holder = self._require_holder()
        full = self.profile.spec.sessions_per_charge
        missing = full - holder.sessions_left
        if missing <= 0 or "holder_low_battery" in self.faults:
            return
        seconds = self.profile.holder_charge_seconds * missing / full
        holder.charging_until = self.clock.now + seconds
        self._charge_timer = self.clock.call_later(seconds, self._charged)

    def _charged(self) -> None:
        holder = self._require_holder()
        holder.sessions_left = self.profile.spec.sessions_per_charge
        holder.charging_until = None
        self._changed()

    def _require_holder(self) -> Holder:
        if self.holder is None:
            raise DeviceRefused(f"{self.model} has no holder")
        return self.holder

    def start_heating(self) -> None:
        if self.heating is not None:
            raise DeviceRefused("a heating session is already running")
        if self.holder is not None:
            if self._holder_present():
                raise DeviceRefused("the holder is in the charger")
            if self.holder.sessions_left <= 0 or "holder_low_battery" in self.faults:
                raise DeviceRefused("the holder is not charged")
        elif self.charger.level < 100 // self.profile.spec.sessions_per_charge:
            raise DeviceRefused("the battery is too low for a session")
        self.heating = Heating(started=self.clock.now)
        self._session_timer = self.clock.call_later(
            SESSION_SECONDS, lambda: self._end_session(EndOfHeatReason.END_OF_PROFILE)
        )
        self._changed()

    def puff(self, count: int = 1) -> None:
        for _ in range(count):
            if self.heating is None:
                raise DeviceRefused("no heating session")
            self.heating.puffs += 1
            if self.heating.puffs >= PUFF_LIMIT:
                self._end_session(EndOfHeatReason.PUFF_LIMIT)
        self._changed()

    def _end_session(self, reason: EndOfHeatReason) -> None:
        if self.heating is None:
            return
        self.clock.cancel(self._session_timer)
        self.last_session = LastSession(reason, self.heating.puffs, new_information=True)
        self.heating = None
        self.sessions_smoked += 1
        if self.holder is not None:
            self.holder.sessions_left = max(0, self.holder.sessions_left - 1)
        else:
            step = 100 // self.profile.spec.sessions_per_charge
            self.charger.level = max(0, self.charger.level - step)
        self._changed()

    def end_heating(self) -> None:
        self._end_session(EndOfHeatReason.USER_ACTION)

    def act(self, action: str, **parameters: Any) -> None:
        """One physical action by name, as the control socket and the harness ask for it."""
        actions: dict[str, Callable[[], None]] = {
            "enter_pairing_mode": self.enter_pairing_mode,
            "remove_holder": self.remove_holder,
            "insert_holder": self.insert_holder,
            "hold_button": lambda: self.hold_button(float(parameters["seconds"])),
            "start_heating": self.start_heating,
            "puff": lambda: self.puff(int(parameters.get("count", 1))),
            "end_heating": self.end_heating,
            "wait": lambda: self.pass_time(float(parameters["seconds"])),
            "prepare": self.prepare,
            "leave_pairing_mode": self.leave_pairing_mode,
        }
        if action not in actions:
            raise ValueError(f"no physical action {action!r}; known: {', '.join(actions)}")
        actions[action]()

    def prepare(self) -> None:
        """What a person at a bench does before each scenario: the holder in the
        charger until it is charged, then a reset, so no session runs and no bond
        is left from the scenario before."""
        if self.holder is not None:
            if not self.holder.in_charger:
                self.insert_holder()
            self.pass_time(self.profile.holder_charge_seconds)
        self.reset()

    def hold_button(self, seconds: float) -> None:
        if seconds >= LONG_PRESS_SECONDS:
            self.reset()

    def pass_time(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self._changed()

    def set_battery(self, part: str, level: int) -> None:
        if not 0 <= level <= 100:
            raise ValueError(f"battery level {level} outside 0..100")
        if part == "charger":
            self.charger.level = level
        elif part == "holder":
            holder = self._require_holder()
            holder.sessions_left = round(self.profile.spec.sessions_per_charge * level / 100)
        else:
            raise ValueError(f"no battery called {part!r}: charger or holder")
        self._changed()

    def reset(self) -> None:
        """What a reset does (docs/simulator.md): the session ends, errors and bonds go,
        pairing mode comes back; battery, counters and link faults stay."""
        if self.heating is not None:
            self._end_session(EndOfHeatReason.USER_ACTION)
        self.faults = {f for f in self.faults if lookup(f).kind is Kind.LINK}
        self.bonds.clear()
        self.pairing_mode = True
        self.vibrating = False
        self.locked = False
        self._changed()

    # --- faults ----------------------------------------------------------------------

    def inject(self, name: str) -> None:
        fault = lookup(name)
        if fault.needs_holder and self.holder is None:
            raise DeviceRefused(f"{self.model} has no holder, so no fault {name!r}")
        self.faults.add(name)
        if name.startswith("session_ended_"):
            reason = EndOfHeatReason[name.removeprefix("session_ended_").upper()]
            self.faults.discard(name)
            if self.heating is None:
                self.heating = Heating(started=self.clock.now, puffs=5)
            self._end_session(reason)
            return
        if name == "charger_low_battery":
            self.charger.level = min(self.charger.level, 5)
        self._changed()

    def clear(self, name: str) -> None:
        lookup(name)
        self.faults.discard(name)
        self._changed()

    def has_fault(self, name: str) -> bool:
        return name in self.faults

    def snapshot(self) -> dict[str, Any]:
        """The device's own state, for `iqos-sim state`, control clients and reports."""
        return {
            "name": self.name,
            "model": self.model,
            "address": self.address,
            "clock_seconds": self.clock.now,
            "pairing_mode": self.pairing_mode,
            "bonds": sorted(self.bonds),
            "battery": {
                "charger_level": self.charger.level,
                "holder_level": self.holder_level() if self.holder else None,
            },
            "holder": {
                "state": self.holder_state().name.lower(),
                "in_charger": self.holder.in_charger if self.holder else None,
                "sessions_left": self.holder.sessions_left if self.holder else None,
            },
            "heating": asdict(self.heating) if self.heating else None,
            "last_session": (
                {
                    "end_reason": self.last_session.end_reason.name.lower(),
                    "puffs": self.last_session.puff_count,
                }
                if self.last_session
                else None
            ),
            "sessions_smoked": self.sessions_smoked,
            "vibrating": self.vibrating,
            "locked": self.locked,
            "haptics": asdict(self.haptics),
            "faults": sorted(self.faults),
        }
