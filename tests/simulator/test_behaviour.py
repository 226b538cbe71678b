"""Behaviour that rests on incomplete evidence: each is one line of a profile, and
changing that line changes what the device does (docs/protocol.md names the evidence).
Also the fault catalogue's effects, and the advertising window on the simulated clock."""

from pathlib import Path

import pytest

from iqos.protocol import AmbientState, Node, ShortFrame
from iqos.protocol.model import DEFAULT_PROFILES, Capability
from iqos.protocol.registers import CounterTag, Register
from simulator.clock import SimulatedClock
from simulator.device import DeviceRefused, SimulatedDevice
from simulator.faults import CATALOGUE, HEALTHY, Kind, LinkFault, UnknownFault, combined
from simulator.profile import DeviceProfile, find_profile, load_profile
from simulator.radio.control_point import ControlPoint

FIRMWARE_READ = ShortFrame(Node.CHARGER, Register.FIRMWARE_VERSION).encode()
SEVEN_BYTE_READ = bytes.fromhex("00 C0 00 00 00 00 00")


def device(profile: DeviceProfile | str = "IQOS 3 DUO") -> SimulatedDevice:
    chosen = find_profile(profile) if isinstance(profile, str) else profile
    return SimulatedDevice(chosen, SimulatedClock(), "C0:11:22:33:44:55")


def one_line_changed(tmp_path: Path, old: str, new: str, key: str = "iqos-3-duo") -> DeviceProfile:
    """The shipped profile with one line changed, as a bench would change it."""
    text = (DEFAULT_PROFILES / f"{key}.yaml").read_text()
    lines = [line for line in text.splitlines() if line.strip().startswith(old)]
    assert len(lines) == 1, f"{old!r} is not one line of {key}.yaml"
    path = tmp_path / f"{key}.yaml"
    path.write_text(text.replace(lines[0], new))
    return load_profile(path)


def test_extra_bytes_answered_by_default_ignored_when_the_profile_says(tmp_path: Path) -> None:
    assert ControlPoint(device()).write(SEVEN_BYTE_READ) is not None
    strict = one_line_changed(tmp_path, "scp_extra_bytes:", "  scp_extra_bytes: ignore")
    control_point = ControlPoint(device(strict))
    assert control_point.write(SEVEN_BYTE_READ) is None
    assert control_point.write(FIRMWARE_READ) is not None


def test_a_stray_fragment_is_dropped_after_the_reassembly_timeout(tmp_path: Path) -> None:
    now = [0.0]
    quick = one_line_changed(
        tmp_path, "scp_reassembly_timeout_ms:", "  scp_reassembly_timeout_ms: 200"
    )
    control_point = ControlPoint(device(quick), now=lambda: now[0])
    assert control_point.write(bytes.fromhex("01 C0")) is None
    now[0] += 0.1
    assert control_point.write(FIRMWARE_READ) is None, "joined to the stray fragment"
    assert control_point.write(bytes.fromhex("01 C0")) is None
    now[0] += 0.3
    assert control_point.write(FIRMWARE_READ) is not None


def test_fragments_close_together_still_make_one_frame() -> None:
    now = [0.0]
    control_point = ControlPoint(device(), now=lambda: now[0])
    assert control_point.write(bytes.fromhex("01 C0 00 00")) is None
    now[0] += 0.9
    assert control_point.write(bytes.fromhex("00 00")) is not None


@pytest.mark.parametrize(
    ("line", "healthy", "hot"),
    [
        ("  status_ambient_byte: when_not_ok", False, True),
        ("  status_ambient_byte: always", True, True),
        ("  status_ambient_byte: never", False, False),
    ],
)
def test_the_ambient_byte_as_the_profile_says(
    tmp_path: Path, line: str, healthy: bool, hot: bool
) -> None:
    subject = device(one_line_changed(tmp_path, "status_ambient_byte:", line))
    assert (subject.status().ambient is not None) is healthy
    assert subject.status().encode()[:2] == bytes.fromhex("1F 00" if healthy else "1B 00")
    subject.inject("ambient_too_cold" if hot else "holder_defect")
    ambient = subject.status().ambient
    assert (ambient is not None and ambient.holder is AmbientState.TOO_LOW) is hot


@pytest.mark.parametrize(("line", "counted"), [("puffs", 5), ("sessions", 1)])
def test_what_counter_0x8e_counts(tmp_path: Path, line: str, counted: int) -> None:
    subject = device(one_line_changed(tmp_path, "usage_counter_8e:", f"  usage_counter_8e: {line}"))
    subject.remove_holder()
    subject.start_heating()
    subject.puff(5)
    subject.end_heating()
    counters = subject.usage_counters()
    assert [block.tag for block in counters.blocks] == [0x8E, 0x17, 0x20, 0x18]
    assert counters.value(CounterTag.PUFFS) == counted
    assert counters.days_used == 1


def test_notify_on_subscribe_is_one_line(tmp_path: Path) -> None:
    assert not device().profile.behaviour.notify_on_subscribe
    eager = one_line_changed(tmp_path, "notify_on_subscribe:", "  notify_on_subscribe: true")
    assert eager.behaviour.notify_on_subscribe


def test_status_bit_7_reading_is_one_line(tmp_path: Path) -> None:
    other = one_line_changed(tmp_path, "status_bit7:", "  status_bit7: holder2_ambient")
    assert other.spec.status_bit7 == "holder2_ambient"


def test_an_unknown_behaviour_key_is_named(tmp_path: Path) -> None:
    from simulator.profile import ProfileError

    with pytest.raises(ProfileError, match="behaviour: Additional properties are not allowed"):
        one_line_changed(tmp_path, "notify_on_subscribe:", "  notify_on_subscribes: true")


# --- the advertising window -------------------------------------------------------------


def test_the_window_closes_after_its_seconds_and_a_press_reopens_it() -> None:
    subject = device()
    assert subject.advertising and subject.profile.spec.supports(Capability.ADVERTISING_WINDOW)
    subject.pass_time(179)
    assert subject.advertising
    subject.pass_time(2)
    assert not subject.advertising
    subject.hold_button(1)
    assert subject.advertising and subject.bonds == set()


@pytest.mark.parametrize(
    ("action", "model", "reopens"),
    [
        ("insert_holder", "IQOS 3 DUO", True),
        ("enter_pairing_mode", "IQOS 3 Multi", True),
        ("reset", "IQOS 3 Multi", True),
        ("puff", "IQOS 3 Multi", False),
    ],
)
def test_what_reopens_the_window(action: str, model: str, reopens: bool) -> None:
    subject = device(model)
    if subject.holder is not None:
        subject.remove_holder()
    subject.let_advertising_end()
    assert not subject.advertising
    if action == "puff":
        subject.start_heating()
        subject.puff()
    else:
        getattr(subject, action)()
    assert subject.advertising is reopens


def test_a_window_left_out_of_the_opener_list_stays_shut(tmp_path: Path) -> None:
    no_holder_opener = one_line_changed(
        tmp_path,
        "advertising_window:",
        "  advertising_window: {seconds: 30, opened_by: [power_on, button]}",
    )
    subject = device(no_holder_opener)
    subject.remove_holder()
    subject.pass_time(31)
    subject.insert_holder()
    assert not subject.advertising


def test_no_window_means_always_advertising(tmp_path: Path) -> None:
    subject = device(
        one_line_changed(tmp_path, "advertising_window:", "  advertising_window: null")
    )
    assert not subject.profile.spec.supports(Capability.ADVERTISING_WINDOW)
    subject.pass_time(24 * 3600)
    assert subject.advertising
    with pytest.raises(DeviceRefused, match="advertises whenever"):
        subject.let_advertising_end()


def test_power_on_reopens_the_window() -> None:
    subject = device()
    subject.let_advertising_end()
    subject.switched_on()
    assert subject.advertising


# --- the fault catalogue ----------------------------------------------------------------


def test_every_fault_has_an_effect_and_its_kind_follows_from_it() -> None:
    for name, fault in CATALOGUE.items():
        assert fault.effect != HEALTHY, name
        assert (fault.kind is Kind.LINK) == bool(fault.effect.links), name


def test_has_fault_refuses_a_name_not_in_the_catalogue() -> None:
    subject = device()
    with pytest.raises(UnknownFault):
        subject.has_fault("scp_no_anwser")
    subject.inject("scp_no_answer")
    assert subject.has_fault("scp_no_answer")
    assert subject.link_fault(LinkFault.NO_SCP_ANSWER)
    assert not subject.link_fault(LinkFault.BAD_SCP_CRC)


def test_effects_add_up_whatever_the_order() -> None:
    names = {"ambient_too_cold", "ambient_too_hot", "holder_rx_pin_open", "holder_not_connected"}
    forward = HEALTHY
    for name in sorted(names):
        forward |= CATALOGUE[name].effect
    backward = HEALTHY
    for name in sorted(names, reverse=True):
        backward |= CATALOGUE[name].effect
    assert forward == backward == combined(names)
    assert forward.ambient is AmbientState.TOO_HIGH


def test_a_one_shot_fault_is_not_kept() -> None:
    subject = device("IQOS 3 Multi")
    subject.inject("session_ended_heater_too_hot")
    subject.inject("charger_low_battery")
    assert subject.faults == {"charger_low_battery"}
    assert subject.charger.level == 5


def test_a_device_that_never_sends_the_ambient_byte_cannot_have_an_ambient_fault(
    tmp_path: Path,
) -> None:
    from simulator.control import faults_for

    silent = one_line_changed(tmp_path, "status_ambient_byte:", "  status_ambient_byte: never")
    assert "ambient_too_hot" not in faults_for(silent)
    with pytest.raises(DeviceRefused, match="never reports the ambient temperature"):
        device(silent).inject("ambient_too_hot")
