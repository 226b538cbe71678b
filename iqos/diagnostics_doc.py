"""Writes docs/diagnostics.md from the finding catalogue, so the codes a scenario
names and the advice a user gets are documented by the code that produces them.

    python3 -m iqos.diagnostics_doc docs/diagnostics.md

tests/test_docs.py fails when the checked-in file differs from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from iqos.diagnostics import FINDINGS, Severity

COMMAND = "python3 -m iqos.diagnostics_doc docs/diagnostics.md"

_SEVERITIES = {
    Severity.INFO: "for the user to know; the device is still healthy",
    Severity.WARNING: "the device is not healthy; `iqos-hil diag` still exits 0",
    Severity.ERROR: "the device is not healthy; `iqos-hil diag` exits 1",
}


def render() -> str:
    rows = [
        f"| `{kind.code}` | {kind.severity.value} | {kind.message} | {kind.action} "
        f"| {kind.raised_when} |"
        for kind in sorted(FINDINGS, key=lambda kind: kind.code)
    ]
    severities = [f"- **{severity.value}**: {meaning}" for severity, meaning in _SEVERITIES.items()]
    return "\n".join(
        [
            f"<!-- Generated from iqos/diagnostics.py by `{COMMAND}`; do not edit. -->",
            "",
            "# Diagnostics findings",
            "",
            "A diagnostics report (`iqos-hil diag`, or the step",
            "`When the app reads the diagnostics`) lists a finding for each problem the",
            "device's status shows.",
            'A scenario names a finding by its code (`Then the diagnostics report "<code>"`),',
            'and the advice the user gets by its action (`Then the app advises "<action>"`).',
            "",
            *severities,
            "",
            "| code | severity | the user is told | advised action | raised when |",
            "| --- | --- | --- | --- | --- |",
            *rows,
            "",
            "A simulated device raises one when a fault sets its status: `iqos-sim faults`",
            "lists them (docs/simulator.md).",
            "After a change to the catalogue in iqos/diagnostics.py, write this file again:",
            "",
            "```sh",
            COMMAND,
            "```",
            "",
        ]
    )


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(f"usage: {COMMAND}", file=sys.stderr)
        return 2
    Path(argv[0]).write_text(render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
