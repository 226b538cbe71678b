"""Two assumed behaviours, each one line of a profile: a locked device refuses to heat
(`behaviour.locked_refuses_heating`), and the locator stops by itself after
`behaviour.locator_seconds`. Changing the line changes what the device does."""

from pathlib import Path

import pytest

from iqos.protocol import Node
from iqos.protocol.registers import Register, encode_find_my, encode_lock, write_request
from simulator.device import DeviceRefused, SimulatedDevice
from simulator.profile import ProfileError
from simulator.scp import answer
from tests.simulator.test_behaviour import device, one_line_changed


def lock(simulated: SimulatedDevice) -> None:
    """The app's lock frame, answered as the radio would hand it over."""
    assert answer(simulated, write_request(Node.HOLDER, Register.LOCK, encode_lock(True)))


def start_locator(simulated: SimulatedDevice) -> None:
    assert answer(simulated, write_request(Node.CHARGER, Register.FIND_MY, encode_find_my(True)))


def test_a_locked_device_refuses_to_heat_until_unlocked() -> None:
    duo = device()
    duo.remove_holder()
    lock(duo)
    with pytest.raises(DeviceRefused, match="locked"):
        duo.start_heating()
    assert duo.heating is None and not duo.days_used
    assert answer(duo, write_request(Node.HOLDER, Register.LOCK, encode_lock(False)))
    duo.start_heating()
    assert duo.heating is not None


def test_a_person_trying_to_heat_a_locked_device_is_not_refused_but_nothing_heats() -> None:
    """On a bench the operator tries and sees nothing happen; the scenario then asks the
    device (its status), so the simulator's hands behave the same."""
    duo = device()
    duo.remove_holder()
    lock(duo)
    duo.act("try_start_heating")
    assert duo.heating is None
    duo.locked = False
    duo.act("try_start_heating")
    assert duo.heating is not None


def test_a_lock_that_does_not_stop_heating_is_one_profile_line(tmp_path: Path) -> None:
    lenient = one_line_changed(
        tmp_path, "locked_refuses_heating:", "  locked_refuses_heating: false"
    )
    duo = device(lenient)
    duo.remove_holder()
    lock(duo)
    duo.start_heating()
    assert duo.heating is not None and duo.locked


@pytest.mark.parametrize("model", ["IQOS 2.4 Plus", "IQOS 3 DUO", "IQOS 3 Multi"])
def test_the_locator_stops_by_itself_after_its_time(model: str) -> None:
    simulated = device(model)
    start_locator(simulated)
    simulated.pass_time(29.9)
    assert simulated.vibrating
    simulated.pass_time(0.1)
    assert not simulated.vibrating


def test_starting_the_locator_again_starts_its_time_again() -> None:
    duo = device()
    start_locator(duo)
    duo.pass_time(20)
    start_locator(duo)
    duo.pass_time(20)
    assert duo.vibrating
    duo.pass_time(10)
    assert not duo.vibrating


def test_a_locator_that_vibrates_until_stopped_is_one_profile_line(tmp_path: Path) -> None:
    endless = device(one_line_changed(tmp_path, "locator_seconds:", "  locator_seconds: null"))
    start_locator(endless)
    endless.pass_time(3600)
    assert endless.vibrating
    assert answer(endless, write_request(Node.CHARGER, Register.FIND_MY, encode_find_my(False)))
    assert not endless.vibrating


def test_a_reset_stops_the_locator_and_its_timer() -> None:
    duo = device()
    start_locator(duo)
    duo.reset()
    assert not duo.vibrating
    start_locator(duo)
    duo.pass_time(29)
    assert duo.vibrating, "the timer of the locator before the reset must not stop this one"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("  locator_seconds: 0", "behaviour.locator_seconds: 0 is less than or equal to"),
        ("  locator_seconds: soon", "behaviour.locator_seconds: 'soon' is not of type"),
        ("  locked_refuses_heating: maybe", "behaviour.locked_refuses_heating: 'maybe' is not"),
    ],
)
def test_a_bad_value_is_named_with_its_key(tmp_path: Path, line: str, problem: str) -> None:
    key = line.split(":")[0].strip()
    with pytest.raises(ProfileError, match=problem):
        one_line_changed(tmp_path, f"{key}:", line)
