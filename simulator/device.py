"""A simulated IQOS device: a pure state machine on a simulated clock.

One class serves the three models; what differs (holder or not, sessions per
charge, capabilities, behaviour where the evidence is incomplete) comes from the
profile. It knows nothing of radios: an adapter reads its frames, hands it SCP
requests, asks whether it advertises, and listens for changes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from iqos.protocol import (
    AmbientState,
    AmbientTemperature,
    BatteryInformation,
    CellReading,
    ChargerState,
    ChargerStatus,
    DeviceStatus,
    EndOfHeatReason,
    HolderConnection,
    HolderRecord,
    HolderState,
    HolderStatus,
    LastSession,
    PairingState,
)
from iqos.protocol.model import WindowOpener
from iqos.protocol.registers import (
    BRIGHTNESS_HIGH,
    CounterTag,
    UsageCounter,
    UsageCounters,
    VibrationSettings,
)
from simulator.clock import SimulatedClock
from simulator.faults import Effect, Kind, LinkFault, combined, lookup
from simulator.profile import AmbientByte, Counter8E, DeviceProfile

SESSION_SECONDS = 6 * 60
PUFF_LIMIT = 14
LONG_PRESS_SECONDS = 10.0
LOW_BATTERY_PERCENT = 10
FOREIGN_BOND = "another-phone"
"""Who a device 'not in pairing mode' is bonded to: some other phone, not this app."""
UNDECODED_COUNTERS = (CounterTag.UNDECODED_20, CounterTag.UNDECODED_18)
"""Sent as zeros: no public client says what they count."""


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
    puffs_taken: int = 0
    days_used: set[date] = field(default_factory=set)
    """Device-clock days on which a heating session started."""
    bonds: set[str] = field(default_factory=set)
    pairing_mode: bool = True
    haptics: VibrationSettings = field(default_factory=VibrationSettings)
    vibrating: bool = False
    locked: bool = False
    brightness: int = BRIGHTNESS_HIGH
    holder_brightness: int = BRIGHTNESS_HIGH
    clock_origin: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    faults: set[str] = field(default_factory=set)
    listeners: list[Callable[[], None]] = field(default_factory=list)
    window_closes: float | None = None
    """Simulated time the advertising window closes at; None while it is shut."""

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
        self._window_timer: Any = None
        self._locator_timer: Any = None
        self.open_advertising_window(WindowOpener.POWER_ON)

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

    @property
    def advertising(self) -> bool:
        """Whether the device advertises while it has no link: always, or within its
        advertising window (`protocol.advertising_window` of the profile)."""
        return self.profile.spec.advertising_window is None or self.window_closes is not None

    def open_advertising_window(self, opener: WindowOpener) -> None:
        """Advertise for the window's length from now, if `opener` opens it on this model."""
        window = self.profile.spec.advertising_window
        if window is None or not window.opens(opener):
            return
        self.clock.cancel(self._window_timer)
        self.window_closes = self.clock.now + window.seconds
        self._window_timer = self.clock.call_later(window.seconds, self._close_window)

    def _close_window(self) -> None:
        self.window_closes = None
        self._changed()

    def switched_on(self) -> None:
        """Power came back: called before the radio starts again, which then reads
        whether to advertise, so no listener needs telling."""
        self.open_advertising_window(WindowOpener.POWER_ON)

    def let_advertising_end(self) -> None:
        """Leave the device alone until its advertising window has closed."""
        if self.profile.spec.advertising_window is None:
            raise DeviceRefused(f"{self.model} advertises whenever it has no link")
        if self.window_closes is not None:
            self.pass_time(self.window_closes - self.clock.now)

    @property
    def effect(self) -> Effect:
        """What the faults set now add up to (simulator.faults)."""
        return combined(self.faults)

    def link_fault(self, fault: LinkFault) -> bool:
        return fault in self.effect.links

    def holder_level(self) -> int:
        if self.holder is None:
            return 0
        if self.effect.holder_empty:
            return 0
        return 100 * self.holder.sessions_left // self.profile.spec.sessions_per_charge

    def battery(self) -> BatteryInformation:
        charger = CellReading(self.charger.level, self.charger.temperature, self.charger.voltage_mv)
        if self.holder is None or not self._holder_present():
            return BatteryInformation(charger=charger)
        return BatteryInformation(charger=charger, holder=CellReading(level=self.holder_level()))

    def _holder_present(self) -> bool:
        return self.holder is not None and self.holder.in_charger and not self.effect.holder_missing

    def holder_state(self) -> HolderState:
        if self.holder is None:
            return (
                HolderState.READY_TO_USE
                if self.charger.level >= LOW_BATTERY_PERCENT
                else HolderState.UNCHARGED
            )
        if not self._holder_present():
            return HolderState.UNPLUGGED
        if self.effect.holder_cleaning:
            return HolderState.CLEANING
        if self.holder_level() == 0 and (
            self.effect.holder_empty or self.holder.charging_until is None
        ):
            return HolderState.UNCHARGED
        if self.holder.charging_until is not None:
            return HolderState.CHARGING
        return HolderState.READY_TO_USE

    def status(self) -> DeviceStatus:
        effect = self.effect
        charger = ChargerStatus(
            state=ChargerState.IDLE,
            low_battery=self.charger.level < LOW_BATTERY_PERCENT,
            defect=effect.charger_defect,
        )
        connection = self.holder.connection if self.holder else HolderConnection.FULL
        holder = HolderStatus(
            self.holder_state(), effect.holder_connection or connection, effect.holder_defect
        )
        session = self.last_session
        if self.heating is not None:
            session = LastSession(EndOfHeatReason.HEATING_IN_PROGRESS, self.heating.puffs)
        record = HolderRecord(last_session=session)
        if self.holder is not None:
            record = HolderRecord(
                error=effect.holder_error,
                warning=effect.holder_warning,
                system_error=effect.holder_system_error,
                last_session=session,
            )
        return DeviceStatus(
            effect.charger_system_error, charger, holder, self._ambient(effect), record
        )

    def _ambient(self, effect: Effect) -> AmbientTemperature | None:
        """The ambient byte, present as the profile's `status_ambient_byte` says."""
        ambient = AmbientTemperature(effect.ambient or AmbientState.OK)
        match self.profile.behaviour.status_ambient_byte:
            case AmbientByte.ALWAYS:
                return ambient
            case AmbientByte.WHEN_NOT_OK:
                return ambient if ambient != AmbientTemperature() else None
        return None

    def usage_counters(self) -> UsageCounters:
        """The four blocks public clients parse; what tag 0x8E counts is the profile's."""
        counts_puffs = self.profile.behaviour.usage_counter_8e is Counter8E.PUFFS
        values = {
            CounterTag.PUFFS: self.puffs_taken if counts_puffs else self.sessions_smoked,
            CounterTag.DAYS_USED: len(self.days_used),
        }
        tags = (CounterTag.PUFFS, CounterTag.DAYS_USED, *UNDECODED_COUNTERS)
        return UsageCounters(
            tuple(UsageCounter(index, values.get(tag, 0), tag) for index, tag in enumerate(tags))
        )

    def error_code(self) -> int:
        """SCP error code register: 0 when healthy (the non-zero values are assumed)."""
        status = self.status()
        codes = [
            int(status.charger_system_error or 0),
            int(status.holder1.error or 0) << 4,
            0x100 if status.charger and status.charger.defect else 0,
        ]
        return next((code for code in codes if code), 0)

    def locate(self, start: bool) -> None:
        """Find my device: vibrate until stopped, or until the locator's time is up
        (the profile's `behaviour.locator_seconds`)."""
        self.clock.cancel(self._locator_timer)
        self._locator_timer = None
        self.vibrating = start
        seconds = self.profile.behaviour.locator_seconds
        if start and seconds is not None:
            self._locator_timer = self.clock.call_later(seconds, self._locator_time_up)

    def _locator_time_up(self) -> None:
        self._locator_timer = None
        self.vibrating = False
        self._changed()

    def device_clock(self) -> datetime:
        return self.clock_origin + timedelta(seconds=self.clock.now)

    def set_device_clock(self, moment: datetime) -> None:
        self.clock_origin = moment - timedelta(seconds=self.clock.now)

    # --- bonds -----------------------------------------------------------------------

    @property
    def accepts_new_pairings(self) -> bool:
        """In pairing mode, and not refusing: a peer it has no bond with may pair."""
        return self.pairing_mode and not self.link_fault(LinkFault.REFUSE_PAIRING)

    def accepts_pairing(self, peer: str) -> bool:
        if self.link_fault(LinkFault.REFUSE_PAIRING):
            return False
        return self.accepts_new_pairings or peer in self.bonds

    def bonded(self, peer: str) -> None:
        self.bonds.add(peer)
        self.pairing_mode = False
        self._changed()

    def enter_pairing_mode(self) -> None:
        """A button action on the devices, so it opens the advertising window too."""
        self.pairing_mode = True
        self.open_advertising_window(WindowOpener.BUTTON)
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
        self.open_advertising_window(WindowOpener.HOLDER_INSERTED)
        self._changed()

    def _start_charging(self) -> None:
        holder = self._require_holder()
        full = self.profile.spec.sessions_per_charge
        missing = full - holder.sessions_left
        if missing <= 0 or self.effect.holder_empty:
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
        if self.locked and self.profile.behaviour.locked_refuses_heating:
            raise DeviceRefused("the device is locked")
        if self.holder is not None:
            if self._holder_present():
                raise DeviceRefused("the holder is in the charger")
            if self.holder.sessions_left <= 0 or self.effect.holder_empty:
                raise DeviceRefused("the holder is not charged")
        elif self.charger.level < 100 // self.profile.spec.sessions_per_charge:
            raise DeviceRefused("the battery is too low for a session")
        self.heating = Heating(started=self.clock.now)
        self.days_used.add(self.device_clock().date())
        self._session_timer = self.clock.call_later(
            SESSION_SECONDS, lambda: self._end_session(EndOfHeatReason.END_OF_PROFILE)
        )
        self._changed()

    def try_start_heating(self) -> None:
        """A person tries to heat a stick: a device that refuses just does not heat, so
        the scenario asks the device afterwards, as it would ask a real one."""
        with contextlib.suppress(DeviceRefused):
            self.start_heating()

    def puff(self, count: int = 1) -> None:
        for _ in range(count):
            if self.heating is None:
                raise DeviceRefused("no heating session")
            self.heating.puffs += 1
            self.puffs_taken += 1
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
            "try_start_heating": self.try_start_heating,
            "puff": lambda: self.puff(int(parameters.get("count", 1))),
            "end_heating": self.end_heating,
            "wait": lambda: self.pass_time(float(parameters["seconds"])),
            "prepare": self.prepare,
            "leave_pairing_mode": self.leave_pairing_mode,
            "let_advertising_end": self.let_advertising_end,
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
        """Any press opens the advertising window; a long one also resets."""
        self.open_advertising_window(WindowOpener.BUTTON)
        if seconds >= LONG_PRESS_SECONDS:
            self.reset()
        else:
            self._changed()

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
        self.locate(False)
        self.locked = False
        self.open_advertising_window(WindowOpener.POWER_ON)
        self._changed()

    # --- faults ----------------------------------------------------------------------

    def inject(self, name: str) -> None:
        fault = lookup(name)
        impossible = fault.impossible_on(self.profile)
        if impossible is not None:
            raise DeviceRefused(f"{self.model} {impossible}, so no fault {name!r}")
        effect = fault.effect
        if effect.ends_session is not None:
            if self.heating is None:
                self.heating = Heating(started=self.clock.now, puffs=5)
            self._end_session(effect.ends_session)
            return
        self.faults.add(name)
        if effect.charger_level_at_most is not None:
            self.charger.level = min(self.charger.level, effect.charger_level_at_most)
        self._changed()

    def clear(self, name: str) -> None:
        lookup(name)
        self.faults.discard(name)
        self._changed()

    def has_fault(self, name: str) -> bool:
        """Whether the named fault is set; a name not in the catalogue is an error
        (UnknownFault), so a typo cannot read as "not set"."""
        lookup(name)
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
            "advertising": self.advertising,
            "haptics": asdict(self.haptics),
            "faults": sorted(self.faults),
        }
