"""The operator and the hardware target, without hardware: a scripted operator, a
prompt answered through pipes, bench safety, and a broken bench failing fast."""

import asyncio
import io
from pathlib import Path

import pytest

from harness.operator import Instruction, OperatorError, PromptOperator, ScriptedOperator
from harness.targets.base import BenchBroken
from harness.targets.hardware import HardwareTarget
from iqos.bench import load_bench
from iqos.client import IqosClient
from iqos.errors import BenchRefused
from iqos.models import model_named

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
    operator = ScriptedOperator.from_file(script)
    asyncio.run(operator.perform(Instruction("remove_holder", "d")))
    with pytest.raises(OperatorError, match="button stuck"):
        asyncio.run(operator.perform(Instruction("hold_button", "d", {"seconds": 10})))
    with pytest.raises(OperatorError, match="no answer for 'puff'"):
        asyncio.run(operator.perform(Instruction("puff", "d", {"count": 1})))
    script.write_text("answers:\n  teleport: done\n")
    with pytest.raises(OperatorError, match="unknown actions teleport"):
        ScriptedOperator.from_file(script)


def test_bench_safety_refuses_addresses_off_the_bench(tmp_path: Path) -> None:
    allowed = load_bench(bench(tmp_path)).allowed_addresses
    with pytest.raises(BenchRefused, match="D1:00:00:00:00:01 is not on the bench"):
        IqosClient("D1:00:00:00:00:01", allowed_addresses=allowed)
    IqosClient("c8:12:34:56:78:9a", allowed_addresses=allowed)


def test_a_failed_operator_action_breaks_the_bench_and_later_scenarios_fail_fast(
    tmp_path: Path,
) -> None:
    operator = ScriptedOperator({"enter_pairing_mode": "done", "remove_holder": "fail: no holder"})
    target = HardwareTarget(load_bench(bench(tmp_path)), operator)

    async def scenario() -> None:
        await target.start()
        device = await target.provide(model_named("IQOS 3 DUO"))
        with pytest.raises(BenchBroken, match="bench broken: no holder"):
            await device.hands.act("remove_holder")
        await target.release()
        with pytest.raises(BenchBroken, match="no holder"):
            await target.provide(model_named("IQOS 3 DUO"))

    asyncio.run(scenario())
    assert len(operator.log) == 2
