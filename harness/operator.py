"""The person at the bench, or a stand-in for one.

On the hardware target a physical action ("remove the holder") cannot be done
by software, so the harness asks an operator. A prompt operator asks a person
at the terminal, even while pytest captures output; a scripted operator
answers from a YAML file, so that a bench can be rehearsed unattended; and a
simulator operator hands the action to the simulator's own hands, over `iqos-sim
serve`'s control socket, so that the hardware path can be rehearsed end to end
against devices that really change.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from harness.targets.base import TargetError
from harness.targets.simulator_hands import SimulatorHands
from iqos.protocol.documents import decode
from simulator.control import Channel, ControlError, socket_channel

ACTIONS: dict[str, str] = {
    "prepare": "Get {device} ready: put its holder in the charger and let it charge, then "
    "reset it (hold the button for 10 seconds) so that it holds no bond.",
    "leave_pairing_mode": "Take {device} out of pairing mode: it should act as bonded to "
    "another phone.",
    "enter_pairing_mode": "Put {device} into pairing mode (enable its Bluetooth).",
    "remove_holder": "Remove the holder from the charger of {device}.",
    "insert_holder": "Insert the holder into the charger of {device}.",
    "hold_button": "Hold the button of {device} for {seconds} seconds, then release it.",
    "let_advertising_end": "Leave {device} alone until it stops advertising (its Bluetooth "
    "advertising window ends, about three minutes after it was switched on or its button "
    "was pressed).",
    "start_heating": "Insert a stick into {device} and start heating.",
    "try_start_heating": "Insert a stick into {device} and try to start heating; if it "
    "does not start, take the stick out again.",
    "puff": "Take {count} puffs on {device}.",
    "end_heating": "End the heating session of {device} (remove the stick).",
    "wait": "Wait {seconds} seconds with {device} left alone.",
    "go_out_of_range": "Take {device} out of range of the app's adapter (about 20 m away, "
    "or into a shielded box) and leave it switched on.",
    "come_back_in_range": "Bring {device} back next to the app's adapter.",
    "observe_vibrating": "Is {device} vibrating? (Enter = yes, f = no)",
}
"""Every physical action a step can ask for, as a person is told it."""


class OperatorError(TargetError):
    """The operator could not do what was asked, said so, or did not answer in time;
    or the operator script cannot be used."""


@dataclass(frozen=True)
class Instruction:
    action: str
    device: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise OperatorError(f"no operator action {self.action!r}; known: {', '.join(ACTIONS)}")

    @property
    def text(self) -> str:
        return ACTIONS[self.action].format(device=self.device, **self.parameters)


class Operator(ABC):
    """Carries out physical actions; keeps a log of them for the report."""

    def __init__(self) -> None:
        self.log: list[tuple[Instruction, str]] = []

    async def perform(self, instruction: Instruction) -> None:
        try:
            outcome = await self._perform(instruction)
        except OperatorError as error:
            self.log.append((instruction, f"failed: {error}"))
            raise
        self.log.append((instruction, outcome))

    @abstractmethod
    async def _perform(self, instruction: Instruction) -> str:
        """Do it, and say how it went in a few words; raise OperatorError if it failed."""


def _no_suspension() -> AbstractContextManager[None]:
    return contextlib.nullcontext()


class PromptOperator(Operator):
    """Asks a person at the terminal and waits for Enter (done) or 'f <reason>' (failed).

    `suspend_capture` lifts pytest's output capture while the question is on
    screen; the harness passes the capture manager's context.
    """

    def __init__(
        self,
        ask: TextIO | None = None,
        answer: TextIO | None = None,
        suspend_capture: Callable[[], AbstractContextManager[None]] = _no_suspension,
        timeout: float = 600.0,
    ) -> None:
        super().__init__()
        self._ask = ask or sys.stderr
        self._answer = answer or sys.stdin
        self._suspend_capture = suspend_capture
        self._timeout = timeout

    async def _perform(self, instruction: Instruction) -> str:
        reply = (
            await asyncio.wait_for(asyncio.to_thread(self._prompt, instruction), self._timeout)
            if self._timeout
            else await asyncio.to_thread(self._prompt, instruction)
        )
        if reply.lower().startswith("f"):
            reason = reply[1:].strip() or "no reason given"
            raise OperatorError(f"operator could not {instruction.text!r}: {reason}")
        return "done"

    def _prompt(self, instruction: Instruction) -> str:
        with self._suspend_capture():
            self._ask.write(
                f"\n[operator] {instruction.text}\n  Enter = done, f <reason> = failed: "
            )
            self._ask.flush()
            line = self._answer.readline()
        if not line:
            raise OperatorError("no operator at the terminal (standard input is closed)")
        return line.strip()


class ScriptedOperator(Operator):
    """Answers from a YAML file: `answers: {action: done | "fail: reason"}` and an optional
    `default`. An action with no answer and no default fails, so a script never
    silently agrees to something it was not written for."""

    def __init__(self, answers: dict[str, str], default: str | None = None) -> None:
        super().__init__()
        self._answers = answers
        self._default = default

    async def _perform(self, instruction: Instruction) -> str:
        answer = self._answers.get(instruction.action, self._default)
        if answer is None:
            raise OperatorError(f"the operator script has no answer for {instruction.action!r}")
        if answer.startswith("fail"):
            raise OperatorError(answer.partition(":")[2].strip() or "scripted failure")
        return f"scripted: {answer}"


class SimulatorOperator(Operator):
    """Hands each physical action to the simulated device of that name: the simulator's
    own hands, over running `iqos-sim serve` control sockets; "is it vibrating?" is
    read from its state. The bench names the devices as the simulators do. A farm
    runs one simulator per device (docs/bench-farm.md), so the operator asks each
    once which devices it serves."""

    ANSWER_TIMEOUT = 30.0
    """The simulator answers once BlueZ shows the change, which can include BlueZ's own
    2 s wait before it drops a link, under emulation."""

    def __init__(self, sockets: Sequence[Path]) -> None:
        super().__init__()
        self.channels = [socket_channel(socket, self.ANSWER_TIMEOUT) for socket in sockets]
        self._serving: dict[str, Channel] = {}

    async def _channel(self, device: str) -> Channel:
        if len(self.channels) == 1:
            return self.channels[0]
        wanted = device.upper()
        if wanted not in self._serving:
            for channel in self.channels:
                for served in await channel({"op": "devices"}):
                    for name in (served["name"], served["address"]):
                        self._serving[str(name).upper()] = channel
        if wanted not in self._serving:
            raise ControlError(f"no device {device!r} on {len(self.channels)} simulators")
        return self._serving[wanted]

    async def _perform(self, instruction: Instruction) -> str:
        try:
            hands = SimulatorHands(await self._channel(instruction.device), instruction.device)
            if instruction.action != "observe_vibrating":
                await hands.act(instruction.action, **instruction.parameters)
                return f"simulator: {instruction.action.replace('_', ' ')}"
            vibrating = await hands.observe("vibrating")
        except (TargetError, ControlError) as error:
            # What the hardware target counts as a failed action is the operator's.
            raise OperatorError(f"simulator: {error}") from error
        if not vibrating:
            raise OperatorError(f"{instruction.device} is not vibrating")
        return "simulator: vibrating"


def load_operator(path: Path) -> Operator:
    """`answers:` (and `default:`) script the answers; `simulator: SOCKET` (or a list
    of sockets) instead hands every action to the simulator serving the device."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise OperatorError(f"{path}: cannot read operator script: {error.strerror}") from None
    raw = decode(data, path, OperatorError)
    if isinstance(raw, dict) and "simulator" in raw:
        if set(raw) != {"simulator"}:
            raise OperatorError(f"{path}: 'simulator' takes no 'answers' or 'default'")
        sockets = raw["simulator"]
        return SimulatorOperator(
            [Path(str(socket)) for socket in (sockets if isinstance(sockets, list) else [sockets])]
        )
    if not isinstance(raw, dict) or not isinstance(raw.get("answers", {}), dict):
        raise OperatorError(f"{path}: an operator script is a mapping with 'answers'")
    answers = {str(k): str(v) for k, v in (raw.get("answers") or {}).items()}
    unknown = sorted(set(answers) - set(ACTIONS))
    if unknown:
        raise OperatorError(f"{path}: answers: unknown actions {', '.join(unknown)}")
    default = raw.get("default")
    return ScriptedOperator(answers, None if default is None else str(default))
