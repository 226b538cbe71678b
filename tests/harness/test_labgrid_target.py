"""The labgrid target without a farm: its options, its hands, and the guard's ledger.
The farm itself is tested in tests/labgrid (tox -e labgrid)."""

from __future__ import annotations

import asyncio
import importlib.util
import io
from types import SimpleNamespace
from typing import Any

import pytest

from harness.farm.guard import held, main
from harness.operator import ScriptedOperator
from harness.targets.base import BenchBroken, TargetError
from harness.targets.labgrid import LabgridTarget, PlaceHands, place_tags
from harness.targets.registry import TargetOptions, build
from iqos.models import model_named

LABGRID = importlib.util.find_spec("labgrid") is not None


class Button:
    def __init__(self, fails: bool = False) -> None:
        self.held: list[float] = []
        self.fails = fails

    def press_for(self, seconds: float) -> None:
        if self.fails:
            raise OSError("relay not answering")
        self.held.append(seconds)


def hands(button: Button | None, answers: dict[str, str]) -> tuple[PlaceHands, LabgridTarget]:
    target = LabgridTarget("127.0.0.1:1", {}, 1.0, ScriptedOperator(answers), {})
    place: Any = SimpleNamespace(
        name="duo-1", label="bench duo #1", wiring=SimpleNamespace(button=button)
    )
    return PlaceHands(target, place), target


def test_the_button_goes_through_the_place_and_the_rest_to_the_operator() -> None:
    button = Button()
    place_hands, target = hands(button, {"remove_holder": "done"})
    asyncio.run(place_hands.act("hold_button", seconds=10))
    asyncio.run(place_hands.act("remove_holder"))
    assert button.held == [10.0]
    assert [(i.action, i.device) for i, _ in target.operator.log] == [
        ("remove_holder", "bench duo #1")
    ]
    with pytest.raises(TargetError, match="the labgrid target cannot inject 'cleaning_needed'"):
        asyncio.run(place_hands.inject("cleaning_needed"))


def test_an_unwired_button_is_the_operators_and_a_failing_one_breaks_the_bench() -> None:
    place_hands, target = hands(None, {"hold_button": "done"})
    asyncio.run(place_hands.act("hold_button", seconds=10))
    assert [i.action for i, _ in target.operator.log] == ["hold_button"]
    failing, _ = hands(Button(fails=True), {})
    with pytest.raises(BenchBroken, match="the button of place duo-1: relay not answering"):
        asyncio.run(failing.act("hold_button", seconds=10))
    refusing, target = hands(None, {"prepare": "fail: no charger"})
    with pytest.raises(BenchBroken, match="no charger"):
        asyncio.run(refusing.act("prepare"))
    with pytest.raises(BenchBroken, match="no charger"):
        asyncio.run(target.provide(model_named("IQOS 3 DUO")))


def test_place_tags_are_key_value_pairs_and_leave_the_model_to_the_scenario() -> None:
    assert place_tags("location=lab-2, firmware=1.4.2") == {
        "location": "lab-2",
        "firmware": "1.4.2",
    }
    assert place_tags("") == {}
    with pytest.raises(TargetError, match="'lab-2' is not key=value"):
        place_tags("lab-2")
    with pytest.raises(TargetError, match="the model tag comes from each scenario"):
        place_tags("model=iqos-3-duo")


@pytest.mark.skipif(not LABGRID, reason="builds only where labgrid is installed")
def test_the_target_reads_the_farm_from_the_environment() -> None:
    target = build(
        "labgrid",
        TargetOptions(
            environment={
                "LG_COORDINATOR": "farm.lab:20408",
                "IQOS_HIL_PLACE_TAGS": "location=lab-2",
                "IQOS_HIL_PLACE_WAIT": "30",
            }
        ),
    )
    assert isinstance(target, LabgridTarget)
    assert (target.coordinator, target.tags, target.wait) == (
        "farm.lab:20408",
        {"location": "lab-2"},
        30.0,
    )
    assert target.patience == 90.0
    with pytest.raises(TargetError, match="IQOS_HIL_PLACE_WAIT must be a number"):
        build("labgrid", TargetOptions(environment={"IQOS_HIL_PLACE_WAIT": "soon"}))


@pytest.mark.skipif(LABGRID, reason="refuses only where labgrid is missing")
def test_without_labgrid_the_target_says_how_to_get_it() -> None:
    with pytest.raises(TargetError, match=r"needs labgrid: pip install -e '\.\[labgrid\]'"):
        build("labgrid", TargetOptions())


def test_the_guard_releases_what_the_worker_still_held() -> None:
    lines = ["wait AAA", "hold duo-1", "wait BBB", "hold plus-1", "drop duo-1", "done AAA"]
    assert held(lines) == ({"plus-1"}, {"BBB"})
    assert main(["127.0.0.1:1", "host/user"], io.StringIO("hold x\ndrop x\n")) == 0, (
        "a worker that gave everything back leaves the guard nothing to do"
    )
