"""Evidence of one scenario for the report: the GATT transcript of each device,
what changed in its state, the radio capture when a step fails (hung on that
step), and a timeline picture of battery and holder state across the steps.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

import allure

from harness.targets.base import DeviceUnderTest
from iqos.protocol.transcript import Transcript


@dataclass
class Sample:
    step: str
    charger: int | None
    holder: int | None
    holder_state: str | None


@dataclass
class DeviceEvidence:
    device: DeviceUnderTest
    transcript: Transcript
    before: dict[str, Any] | None = None
    samples: list[Sample] = field(default_factory=list)


class Evidence:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """`clock` times the transcripts: the session loop's, whose time may be virtual."""
        self.clock = clock
        self.devices: dict[str, DeviceEvidence] = {}

    def watch(self, device: DeviceUnderTest) -> None:
        """Also labels the scenario with where the device is (its place, exporter and
        adapter on a farm), so that a red scenario names the bench to look at."""
        self.devices[device.address] = DeviceEvidence(device, Transcript(clock=self.clock))
        for key, value in device.extra.items():
            allure.dynamic.label(key, str(value))  # type: ignore[no-untyped-call]

    def transcript(self, device: DeviceUnderTest) -> Transcript:
        return self.devices[device.address].transcript

    async def snapshot_before(self, device: DeviceUnderTest) -> None:
        self.devices[device.address].before = await device.hands.snapshot()

    async def sample(self, step: str) -> None:
        """After each step: where the target can see device state, keep a point of the timeline."""
        for evidence in self.devices.values():
            state = await evidence.device.hands.snapshot()
            if state is not None:
                evidence.samples.append(_sample(step, state))

    async def attach_failure(self, capture: bytes | None) -> None:
        """On the step that failed: the radio capture so far and what changed on each device."""
        if capture:
            allure.attach(capture, name="btsnoop capture (open in Wireshark)", extension="btsnoop")
        await self._attach_changes()

    async def attach(self, capture: bytes | None = None, changes: bool = True) -> None:
        """On the scenario: each device's GATT transcript, state changes and timeline."""
        if capture:
            allure.attach(capture, name="btsnoop capture (open in Wireshark)", extension="btsnoop")
        for evidence in self.devices.values():
            allure.attach(
                evidence.transcript.render() or "(nothing crossed the link)",
                name=f"GATT transcript: {evidence.device.label}",
                attachment_type=allure.attachment_type.TEXT,
            )
        if changes:
            await self._attach_changes()
        for evidence in self.devices.values():
            if len(evidence.samples) > 1:
                allure.attach(
                    timeline_svg(evidence.device.label, evidence.samples),
                    name=f"battery and holder timeline: {evidence.device.label}",
                    attachment_type=allure.attachment_type.SVG,
                )

    async def _attach_changes(self) -> None:
        for evidence in self.devices.values():
            after = await evidence.device.hands.snapshot()
            if evidence.before is None and after is None:
                continue
            allure.attach(
                state_changes(evidence.before or {}, after or {}),
                name=f"device state changes: {evidence.device.label}",
                attachment_type=allure.attachment_type.TEXT,
            )


def state_changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """One line per value that changed, `key: before -> after`: what a reader of a red
    scenario looks for, without comparing two dumps by eye."""
    old, new = _flatten(before), _flatten(after)
    lines = []
    for key in sorted(old.keys() | new.keys()):
        if key not in new:
            lines.append(f"{key}: {old[key]} -> (gone)")
        elif key not in old:
            lines.append(f"{key}: (new) -> {new[key]}")
        elif old[key] != new[key]:
            lines.append(f"{key}: {old[key]} -> {new[key]}")
    return "\n".join(lines) if lines else "(no change since the device was provided)"


def _flatten(state: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in state.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = json.dumps(value, default=str)
    return flat


def _sample(step: str, state: dict[str, Any]) -> Sample:
    battery = state.get("battery", {})
    holder = state.get("holder", {})
    return Sample(
        step=step,
        charger=battery.get("charger_level"),
        holder=battery.get("holder_level"),
        holder_state=holder.get("state"),
    )


def timeline_svg(title: str, samples: list[Sample]) -> str:
    """A small line chart: charger and holder level per step, holder state as labels."""
    width, height, left, top, bottom = 120 + 90 * len(samples), 300, 50, 30, 90
    plot_height = height - top - bottom

    def x(index: int) -> float:
        return left + 40 + index * 90

    def y(level: int) -> float:
        return top + plot_height * (1 - level / 100)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<text x="{left}" y="18" font-size="13">{escape(title)}: battery and holder</text>',
        f'<line x1="{left}" y1="{y(0)}" x2="{width - 20}" y2="{y(0)}" stroke="#888"/>',
        f'<line x1="{left}" y1="{y(100)}" x2="{left}" y2="{y(0)}" stroke="#888"/>',
        f'<text x="{left - 8}" y="{y(100) + 4}" text-anchor="end">100%</text>',
        f'<text x="{left - 8}" y="{y(0) + 4}" text-anchor="end">0%</text>',
    ]
    for name, colour, attribute in (
        ("charger", "#1f77b4", "charger"),
        ("holder", "#d62728", "holder"),
    ):
        points = [
            (x(i), y(value))
            for i, sample in enumerate(samples)
            if (value := getattr(sample, attribute)) is not None
        ]
        if points:
            path = " ".join(f"{px:.0f},{py:.0f}" for px, py in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            parts += [
                f'<circle cx="{px:.0f}" cy="{py:.0f}" r="3" fill="{colour}"/>' for px, py in points
            ]
            parts.append(
                f'<text x="{width - 20}" y="{points[-1][1] - 6:.0f}" fill="{colour}" '
                f'text-anchor="end">{name}</text>'
            )
    for index, sample in enumerate(samples):
        label = escape(sample.step if len(sample.step) <= 28 else sample.step[:27] + "…")
        parts.append(
            f'<text transform="translate({x(index):.0f},{y(0) + 12}) rotate(30)">{label}</text>'
        )
        if sample.holder_state:
            parts.append(
                f'<text x="{x(index):.0f}" y="{top - 2}" text-anchor="middle" fill="#555">'
                f"{escape(sample.holder_state)}</text>"
            )
    parts.append("</svg>")
    return "\n".join(parts)
