"""The operator and the hardware target, without hardware: a scripted operator, a
prompt answered through pipes, bench safety, and a broken bench failing fast."""

import asyncio
import io
from collections.abc import Collection
from pathlib import Path

import pytest
import yaml
from bleak.backends.device import BLEDevice

from harness.bench import Bench, BenchDevice, load_bench
from harness.operator import (
    Instruction,
    OperatorError,
    PromptOperator,
    ScriptedOperator,
    load_operator,
)
from harness.rehearsal import bench_file
from harness.targets.base import BenchBroken
from harness.targets.bluez import SCAN_WINDOW
from harness.targets.hardware import HardwareTarget, drop_links_on_client
from iqos.client import IqosClient
from iqos.errors import BenchRefused
from iqos.models import model_named
from simulator.clock import SimulatedClock
from simulator.control import Control, serve_control
from simulator.device import SimulatedDevice
from simulator.profile import find_profile

BENCH = """
adapter: hci0
devices:
  - {name: bench-duo-1, model: iqos-3-duo, address: "C8:12:34:56:78:9A"}
"""


def bench(tmp_path: Path) -> Path:
    path = tmp_path / "bench.yaml"
    path.write_text(BENCH)
    return path


def test_prompt_operator_reads_done_and_failed_answers() -> None:
    asked = io.StringIO()
    operator = PromptOperator(ask=asked, answer=io.StringIO("\nf holder is stuck\n"), timeout=5)
    asyncio.run(operator.perform(Instruction("remove_holder", "bench-duo-1")))
    with pytest.raises(OperatorError, match="holder is stuck"):
        asyncio.run(operator.perform(Instruction("insert_holder", "bench-duo-1")))
    assert "Remove the holder from the charger of bench-duo-1" in asked.getvalue()
    assert [outcome for _, outcome in operator.log] == [
        "done",
        "failed: operator could not "
        "'Insert the holder into the charger of bench-duo-1.': holder is stuck",
    ]


def test_prompt_operator_with_no_one_at_the_terminal_fails_clearly() -> None:
    operator = PromptOperator(ask=io.StringIO(), answer=io.StringIO(""), timeout=5)
    with pytest.raises(OperatorError, match="standard input is closed"):
        asyncio.run(operator.perform(Instruction("remove_holder", "bench-duo-1")))


def test_scripted_operator_refuses_what_it_was_not_written_for(tmp_path: Path) -> None:
    script = tmp_path / "operator.yaml"
    script.write_text("answers:\n  remove_holder: done\n  hold_button: 'fail: button stuck'\n")
    operator = load_operator(script)
    asyncio.run(operator.perform(Instruction("remove_holder", "d")))
    with pytest.raises(OperatorError, match="button stuck"):
        asyncio.run(operator.perform(Instruction("hold_button", "d", {"seconds": 10})))
    with pytest.raises(OperatorError, match="no answer for 'puff'"):
        asyncio.run(operator.perform(Instruction("puff", "d", {"count": 1})))
    script.write_text("answers:\n  teleport: done\n")
    with pytest.raises(OperatorError, match="unknown actions teleport"):
        load_operator(script)


def test_bench_safety_refuses_addresses_off_the_bench(tmp_path: Path) -> None:
    allowed = load_bench(bench(tmp_path)).allowed_addresses
    with pytest.raises(BenchRefused, match="D1:00:00:00:00:01 is not on the bench"):
        IqosClient("D1:00:00:00:00:01", allowed_addresses=allowed)
    IqosClient("c8:12:34:56:78:9a", allowed_addresses=allowed)


def test_bench_safety_holds_for_a_scanned_device_handle_too(tmp_path: Path) -> None:
    """A bench address with the BLEDevice of a device off the bench is refused too."""
    allowed = load_bench(bench(tmp_path)).allowed_addresses
    stranger = BLEDevice("D1:00:00:00:00:01", "IQOS 3 DUO 0001", None)
    with pytest.raises(BenchRefused, match="D1:00:00:00:00:01 is not on the bench"):
        IqosClient("C8:12:34:56:78:9A", allowed_addresses=allowed, device=stranger)
    with pytest.raises(ValueError, match="is not the device at"):
        IqosClient("C8:12:34:56:78:9A", device=stranger)


def test_a_failed_operator_action_breaks_the_bench_and_later_scenarios_fail_fast(
    tmp_path: Path,
) -> None:
    operator = ScriptedOperator(
        {"prepare": "done", "enter_pairing_mode": "done", "remove_holder": "fail: no holder"}
    )
    forgotten: list[str] = []

    async def app_forgets(_bench: Bench, device: BenchDevice) -> None:
        forgotten.append(device.name)

    target = HardwareTarget(load_bench(bench(tmp_path)), operator, app_forgets)

    async def scenario() -> None:
        await target.start()
        device = await target.provide(model_named("IQOS 3 DUO"))
        with pytest.raises(BenchBroken, match="bench broken: no holder"):
            await device.hands.act("remove_holder")
        await target.release()
        with pytest.raises(BenchBroken, match="no holder"):
            await target.provide(model_named("IQOS 3 DUO"))

    asyncio.run(scenario())
    assert [instruction.action for instruction, _ in operator.log] == [
        "prepare",
        "enter_pairing_mode",
        "remove_holder",
    ]
    assert forgotten == ["bench-duo-1"]


def test_the_end_of_a_scenario_lets_the_apps_links_to_its_devices_go(tmp_path: Path) -> None:
    operator = ScriptedOperator({"prepare": "done", "enter_pairing_mode": "done"})
    let_go: list[set[str]] = []

    async def app_forgets(_bench: Bench, _device: BenchDevice) -> None:
        return None

    async def app_lets_go(_bench: Bench, addresses: Collection[str]) -> None:
        let_go.append(set(addresses))

    target = HardwareTarget(load_bench(bench(tmp_path)), operator, app_forgets, app_lets_go)

    async def two_scenarios() -> None:
        await target.start()
        for _ in range(2):
            await target.provide(model_named("IQOS 3 DUO"))
            await target.release()

    asyncio.run(two_scenarios())
    assert let_go == [{"C8:12:34:56:78:9A"}, {"C8:12:34:56:78:9A"}]


def test_without_bluez_on_the_bench_machine_the_links_are_left_to_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    asyncio.run(drop_links_on_client(load_bench(bench(tmp_path)), {"C8:12:34:56:78:9A"}))


def test_a_bench_says_what_it_cannot_do_and_has_only_its_models(tmp_path: Path) -> None:
    path = bench(tmp_path)
    path.write_text(BENCH + "cannot:\n  several_devices: one phone only\n")
    target = HardwareTarget(load_bench(path), ScriptedOperator({}, "done"))
    asyncio.run(target.start())
    assert target.missing_abilities({"several_devices", "physical_actions"}) == {"several_devices"}
    assert target.limits == {"several_devices": "one phone only"}
    assert target.offers(model_named("IQOS 3 DUO"))
    assert not target.offers(model_named("IQOS 3 Multi"))
    assert target.client_options()["adapter"] == "hci0"


def test_the_simulator_operator_acts_on_the_simulated_device(tmp_path: Path) -> None:
    subject = SimulatedDevice(find_profile("IQOS 3 DUO"), SimulatedClock(), "00:AA:01:00:00:00")
    script = tmp_path / "operator.yaml"
    socket = tmp_path / "sim.sock"
    script.write_text(f"simulator: {socket}\n")

    async def scenario() -> None:
        operator = load_operator(script)
        server = await serve_control(Control([subject]), socket)
        async with server:
            await operator.perform(Instruction("remove_holder", subject.name))
            assert not subject.snapshot()["holder"]["in_charger"]
            with pytest.raises(OperatorError, match="is not vibrating"):
                await operator.perform(Instruction("observe_vibrating", subject.name))
            with pytest.raises(OperatorError, match="no device 'IQOS 3 DUO FFFF'"):
                await operator.perform(Instruction("insert_holder", "IQOS 3 DUO FFFF"))
        with pytest.raises(OperatorError, match="no simulator at"):
            await operator.perform(Instruction("insert_holder", subject.name))

    asyncio.run(scenario())
    script.write_text(f"simulator: {socket}\ndefault: done\n")
    with pytest.raises(OperatorError, match="'simulator' takes no 'answers' or 'default'"):
        load_operator(script)


def test_the_rehearsal_bench_names_the_simulated_devices(tmp_path: Path) -> None:
    devices = [
        {"name": "IQOS 3 DUO 0000", "address": "00:AA:01:00:00:00", "model": "IQOS 3 DUO",
         "model_key": "iqos-3-duo"},
    ]  # fmt: skip
    written = bench_file(devices, "hci3", slowness=2.0)
    assert written["adapter"] == "hci3"
    assert written["scan_window"] == SCAN_WINDOW * 2.0
    assert written["devices"] == [
        {"name": "IQOS 3 DUO 0000", "model": "iqos-3-duo", "address": "00:AA:01:00:00:00"}
    ]
    assert set(written["cannot"]) == {
        "stale_bond_recovery",
        "several_devices",
        "notification_scenarios",
        "out_of_range",
    }
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(written))
    bench = load_bench(path)
    assert bench.allowed_addresses == {"00:AA:01:00:00:00"}
    target = HardwareTarget(bench, ScriptedOperator({}, "done"))
    assert target.client_options()["scan_window"] == SCAN_WINDOW * 2.0
