"""docs/protocol.md's control point table and the conformance suite's list of frames
are the same: a frame documented is a frame sent, in every form the docs name."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conformance.frames import CONTROL_POINT

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
HEX = re.compile(r"^[0-9A-F]{2}( [0-9A-F]{2})*$")


def _control_point_rows() -> list[str]:
    text = DOC.read_text()
    section = text.split("### Control point requests", 1)[1].split("\n### ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def _forms(row: str) -> list[str]:
    """A row's frames: its first column's code spans, `+` joining the writes of one."""
    first = row.split("|")[1]
    forms = []
    for form in first.split(","):
        writes = [span for span in re.findall(r"`([^`]+)`", form) if HEX.match(span)]
        forms.append(" + ".join(writes))
    return forms


def test_every_documented_frame_is_sent_and_every_sent_frame_documented() -> None:
    documented = [form for row in _control_point_rows() for form in _forms(row)]
    sent = [
        " + ".join(piece.hex(" ").upper() for piece in form.writes)
        for row in CONTROL_POINT
        for form in row.forms
    ]
    assert sorted(documented) == sorted(sent)


def test_each_row_of_the_table_is_one_row_of_the_suite() -> None:
    rows = [set(_forms(row)) for row in _control_point_rows()]
    suite = [
        {" + ".join(piece.hex(" ").upper() for piece in form.writes) for form in row.forms}
        for row in CONTROL_POINT
    ]
    assert sorted(map(sorted, rows)) == sorted(map(sorted, suite))
