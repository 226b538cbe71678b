"""What the page draws for a device: the catalogue as `iqos-sim faults` groups it, and
the lights a person would see for each state."""

from __future__ import annotations

import pytest

from simulator.clock import SimulatedClock
from simulator.control import Control
from simulator.device import SimulatedDevice
from simulator.faults import CATALOGUE
from simulator.panel.view import describe, fault_groups, lights, view
from simulator.profile import find_profile


def device(model: str = "IQOS 3 DUO") -> SimulatedDevice:
    return SimulatedDevice(find_profile(model), SimulatedClock(), "C0:11:22:33:44:55")


def test_every_fault_of_the_catalogue_once_in_its_kind_with_its_description() -> None:
    groups = fault_groups(Control([]))
    shown = {fault["name"]: (group["kind"], fault["description"]) for group in groups
             for fault in group["faults"]}  # fmt: skip
    assert sum(len(group["faults"]) for group in groups) == len(CATALOGUE)
    assert shown == {name: (str(f.kind), f.description) for name, f in CATALOGUE.items()}


def test_a_one_piece_device_is_offered_no_holder_fault() -> None:
    offered = describe(device("IQOS 3 Multi"), None)["faults"]
    assert "cleaning_needed" not in offered and "ambient_too_cold" in offered


def test_a_fresh_device_waits_to_pair_with_a_ready_holder() -> None:
    shown = lights(device(), connected=False)
    assert shown == {
        "charger_segments": 4,
        "charger_low": False,
        "holder": "steady",
        "status": "off",
        "bluetooth": "blink",
        "vibrating": False,
        "heating": False,
    }
    assert lights(device(), connected=True)["bluetooth"] == "steady"


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ("ambient_too_cold", "warning"),
        ("ambient_too_hot", "warning"),
        ("cleaning_needed", "warning"),
        ("battery_aged", "warning"),
        ("charger_defect", "error"),
        ("holder_defect", "error"),
        ("holder_rx_pin_open", "error"),
        ("holder_system_error", "error"),
        ("charging_timeout", "error"),
        ("refuse_pairing", "off"),
    ],
)
def test_the_status_light_says_how_bad_a_fault_is(fault: str, status: str) -> None:
    subject = device()
    subject.inject(fault)
    assert lights(subject, connected=False)["status"] == status


def test_the_holder_light_follows_the_holder() -> None:
    subject = device()
    subject.set_battery("holder", 50)
    subject.remove_holder()
    assert lights(subject, connected=False)["holder"] == "steady"
    subject.start_heating()
    assert lights(subject, connected=False)["holder"] == "heating"
    subject.end_heating()
    subject.insert_holder()
    assert lights(subject, connected=False)["holder"] == "pulse", "charging"
    subject.inject("cleaning_needed")
    assert lights(subject, connected=False)["holder"] == "blink"


def test_a_low_charger_shows_one_orange_segment() -> None:
    subject = device()
    subject.set_battery("charger", 5)
    shown = lights(subject, connected=False)
    assert (shown["charger_segments"], shown["charger_low"], shown["status"]) == (
        1,
        True,
        "warning",
    )


def test_the_state_is_the_control_apis() -> None:
    subject = device()
    control = Control([subject])
    assert view(control, subject, None)["state"] == control.handle(
        {"op": "state", "device": subject.address}
    )
    assert view(control, subject, None)["centrals"] is None, "unknown on a radio without a tap"
