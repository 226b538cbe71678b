"""Model behaviour on the simulated clock, and each fault's exact effect on the frames."""

import pytest

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
    PairingState,
)
from simulator.clock import SimulatedClock
from simulator.device import DeviceRefused, SimulatedDevice
from simulator.faults import CATALOGUE, Kind
from simulator.profile import find_profile

MODELS = ["IQOS 2.4 Plus", "IQOS 3 DUO", "IQOS 3 Multi"]


def device(model: str) -> SimulatedDevice:
    return SimulatedDevice(find_profile(model), SimulatedClock(), "C0:11:22:33:44:55")


def test_battery_frame_is_6_bytes_with_the_holder_out_and_7_with_it_in() -> None:
    plus = device("IQOS 2.4 Plus")
    assert plus.battery().encode() == bytes.fromhex("0F 00 50 18 3C 0F 64")
    plus.remove_holder()
    assert len(plus.battery().encode()) == 6


def test_one_piece_frames_have_no_holder_fields() -> None:
    multi = device("IQOS 3 Multi")
    assert multi.battery() == BatteryInformation.decode(multi.battery().encode())
    assert multi.battery().holder is None
    status = multi.status()
    assert status.holder1.error is None and status.holder1.warning is None


@pytest.mark.parametrize(("model", "sessions"), [("IQOS 2.4 Plus", 1), ("IQOS 3 DUO", 2)])
def test_holder_gives_its_sessions_then_recharges_in_about_4_minutes(
    model: str, sessions: int
) -> None:
    holder_device = device(model)
    holder_device.remove_holder()
    for _ in range(sessions):
        holder_device.start_heating()
        holder_device.pass_time(6 * 60)
        assert holder_device.last_session is not None
        assert holder_device.last_session.end_reason is EndOfHeatReason.END_OF_PROFILE
    with pytest.raises(DeviceRefused, match="not charged"):
        holder_device.start_heating()
    holder_device.insert_holder()
    assert holder_device.holder_state() is HolderState.CHARGING
    holder_device.pass_time(239)
    assert holder_device.holder_state() is HolderState.CHARGING
    holder_device.pass_time(1)
    assert holder_device.holder_state() is HolderState.READY_TO_USE
    assert holder_device.battery().holder is not None
    assert holder_device.battery().holder.level == 100


def test_multi_gives_ten_sessions_per_charge() -> None:
    multi = device("IQOS 3 Multi")
    for _ in range(10):
        multi.start_heating()
        multi.pass_time(6 * 60)
    assert multi.charger.level == 0
    with pytest.raises(DeviceRefused, match="too low"):
        multi.start_heating()


def test_session_ends_at_14_puffs() -> None:
    multi = device("IQOS 3 Multi")
    multi.start_heating()
    multi.puff(14)
    assert multi.last_session is not None
    assert multi.last_session.end_reason is EndOfHeatReason.PUFF_LIMIT
    assert multi.last_session.puff_count == 14


@pytest.mark.parametrize("model", MODELS)
def test_reset_during_heating_ends_the_session_and_clears_errors_and_bonds(model: str) -> None:
    subject = device(model)
    if subject.holder is not None:
        subject.remove_holder()
    subject.bonded("central")
    subject.inject("charger_error_self_test_failure")
    subject.inject("scp_no_answer")
    subject.start_heating()
    subject.puff(4)
    subject.hold_button(10)
    assert subject.last_session is not None
    assert subject.last_session.end_reason is EndOfHeatReason.USER_ACTION
    assert subject.last_session.puff_count == 4
    assert subject.bonds == set()
    assert subject.pairing_state is PairingState.PAIRING_MODE
    assert subject.faults == {"scp_no_answer"}
    assert subject.status().charger_system_error == 0


def test_a_short_press_does_not_reset() -> None:
    subject = device("IQOS 3 DUO")
    subject.bonded("central")
    subject.hold_button(3)
    assert subject.bonds == {"central"}


FLAG_EFFECTS = {
    "charger_error_self_test_failure": lambda s: (
        s.charger_system_error == ChargerSystemError.SELF_TEST_FAILURE
    ),
    "charging_timeout": lambda s: s.charger_system_error == ChargerSystemError.CHARGING_TIMEOUT,
    "charger_defect": lambda s: s.charger.defect,
    "charger_low_battery": lambda s: s.charger.low_battery,
    "holder_defect": lambda s: s.holder.defect,
    "holder_error_identification_failure": lambda s: (
        s.holder1.error == HolderError.IDENTIFICATION_FAILURE
    ),
    "holder_warning_null_charging_count": lambda s: (
        s.holder1.warning == HolderWarning.NULL_CHARGING_COUNT
    ),
    "battery_aged": lambda s: s.holder1.warning == HolderWarning.BATTERY_AGED,
    "holder_system_error": lambda s: s.holder1.system_error == 0x102,
    "holder_missing": lambda s: s.holder.state is HolderState.UNPLUGGED,
    "holder_low_battery": lambda s: s.holder.state is HolderState.UNCHARGED,
    "cleaning_needed": lambda s: s.holder.state is HolderState.CLEANING,
    "holder_rx_pin_open": lambda s: s.holder.connection is HolderConnection.RX_PIN_OPEN,
    "holder_tx_pin_open": lambda s: s.holder.connection is HolderConnection.TX_PIN_OPEN,
    "holder_not_connected": lambda s: s.holder.connection is HolderConnection.NOT_CONNECTED,
    "ambient_too_hot": lambda s: s.ambient.holder is AmbientState.TOO_HIGH,
    "ambient_too_cold": lambda s: s.ambient.holder is AmbientState.TOO_LOW,
}


@pytest.mark.parametrize("fault", sorted(n for n, f in CATALOGUE.items() if f.kind is Kind.STATUS))
def test_every_status_fault_changes_the_status_frame_and_clears(fault: str) -> None:
    subject = device("IQOS 3 DUO")
    healthy = subject.status().encode()
    subject.inject(fault)
    changed = subject.status()
    assert changed.encode() != healthy, f"{fault} left the status frame unchanged"
    assert DeviceStatus.decode(changed.encode()) == changed
    if fault in FLAG_EFFECTS:
        assert FLAG_EFFECTS[fault](changed)
    if not fault.startswith("session_ended_"):
        subject.clear(fault)
        if fault != "charger_low_battery":
            assert subject.status().encode() == healthy


def test_holder_faults_are_refused_by_a_one_piece_device() -> None:
    with pytest.raises(DeviceRefused, match="has no holder"):
        device("IQOS 3 Multi").inject("cleaning_needed")


def test_not_in_pairing_mode_means_bonded_elsewhere_and_refusing() -> None:
    subject = device("IQOS 3 DUO")
    subject.leave_pairing_mode()
    assert subject.pairing_state is PairingState.BONDED
    assert not subject.accepts_pairing("this-app")
    subject.enter_pairing_mode()
    assert subject.accepts_pairing("this-app")
    subject.inject("refuse_pairing")
    assert not subject.accepts_pairing("this-app")


def test_fault_scripts_name_known_faults() -> None:
    from simulator.faults import FAULT_SCRIPTS, FaultScriptError, load_script

    for script in FAULT_SCRIPTS.glob("*.yaml"):
        assert load_script(script.stem)
    with pytest.raises(FaultScriptError, match="scripts: cold-morning"):
        load_script("no-such-script")


def test_preparing_for_a_bench_scenario_ends_heating_and_charges_the_holder() -> None:
    subject = device("IQOS 3 DUO")
    subject.remove_holder()
    subject.start_heating()
    subject.puff(3)
    subject.prepare()
    state = subject.snapshot()
    assert state["heating"] is None
    assert state["holder"]["in_charger"]
    assert state["holder"]["sessions_left"] == 2
    assert state["last_session"]["puffs"] == 3
    assert state["pairing_mode"] and not state["bonds"]
    multi = device("IQOS 3 Multi")
    multi.act("prepare")
    assert multi.snapshot()["heating"] is None
