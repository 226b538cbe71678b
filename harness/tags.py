"""The tags a feature may carry, and what each one asks of a model or a target.

`@needs:X` names a model capability (from the device profile) or a target
ability; a scenario whose needs are not met is skipped with that reason, never
silently. Domain tags group features in the report.
"""

from __future__ import annotations

from enum import StrEnum

from iqos.protocol.model import Capability

DOMAIN_TAGS = frozenset(
    {"pairing", "reset", "diagnostics", "battery", "holder", "link", "settings", "notifications"}
)


class Ability(StrEnum):
    """What a target (with its operator) can make happen, beyond what the client does."""

    FAULT_INJECTION = "fault_injection"
    """Set device faults on demand (errors, low battery, ambient temperature)."""
    LINK_FAULTS = "link_faults"
    """Make the device drop the link, stop answering, or corrupt answers."""
    SIMULATED_TIME = "simulated_time"
    """Let minutes pass in an instant (charging, heating sessions)."""
    PHYSICAL_ACTIONS = "physical_actions"
    """Remove or insert the holder, hold the button, heat and puff."""
    SEVERAL_DEVICES = "several_devices"
    """More than one device of a model at once."""
    STALE_BOND_RECOVERY = "stale_bond_recovery"
    """Pair again while one side still holds a bond that the other forgot (after a
    reset, or after the app unpairs). Not on the bluez target: Linux 6.1's SMP
    fails that pairing and then hits a kernel BUG that kills bluetoothd
    (docs/bluez-lane.md)."""
    OUT_OF_RANGE = "out_of_range"
    """Take a device out of the app's range and bring it back: the link is lost without
    a disconnect, and the device is not heard until it is back. The virtual radio
    does it; at a bench the operator carries the device away (or into a shielded box)."""
    NOTIFICATION_SCENARIOS = "notification_scenarios"
    """Scenarios in a row in which the app subscribes and checks what it is told (a
    session's end, a holder running out). Not on the hardware rehearsal: bluetoothd
    5.66 in its guest exited in them in 3 of 3 runs, at a different scenario each
    time, with nothing in its log or the kernel's (cause not found yet); the bluez
    target, on the same kernel and bluetoothd, passes them."""


NEEDS_PREFIX = "needs:"
MODEL_PREFIX = "model:"
SEVERITY_PREFIX = "severity:"
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")
"""Allure's severity levels; a scenario without the tag is `normal`."""


def needs(tags: set[str]) -> set[str]:
    return {tag[len(NEEDS_PREFIX) :] for tag in tags if tag.startswith(NEEDS_PREFIX)}


def known_tag_problem(tag: str, model_keys: frozenset[str] | None = None) -> str | None:
    """None for a known tag, else a sentence that says what is wrong with it."""
    if tag in DOMAIN_TAGS:
        return None
    if tag.startswith(NEEDS_PREFIX):
        name = tag[len(NEEDS_PREFIX) :]
        known = {c.value for c in Capability} | {a.value for a in Ability}
        if name in known:
            return None
        return f"unknown tag @{tag}: needs one of {', '.join(sorted(known))}"
    if tag.startswith(SEVERITY_PREFIX):
        if tag[len(SEVERITY_PREFIX) :] in SEVERITIES:
            return None
        return f"unknown tag @{tag}: severities are {', '.join(SEVERITIES)}"
    if tag.startswith(MODEL_PREFIX):
        if model_keys is None or tag[len(MODEL_PREFIX) :] in model_keys:
            return None
        return f"unknown tag @{tag}: models are {', '.join(sorted(model_keys))}"
    return (
        f"unknown tag @{tag}: use a domain tag ({', '.join(sorted(DOMAIN_TAGS))}), "
        f"@{NEEDS_PREFIX}<capability or ability>, @{MODEL_PREFIX}<profile> "
        f"or @{SEVERITY_PREFIX}<{'|'.join(SEVERITIES)}>"
    )
