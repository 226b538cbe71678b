"""A client that lives through thousands of connections keeps a bounded transcript."""

from __future__ import annotations

from iqos.protocol.transcript import KEPT_ENTRIES, Direction, Transcript
from iqos.protocol.uuids import BATTERY_INFORMATION


def test_the_transcript_keeps_the_latest_entries_and_says_how_many_it_dropped() -> None:
    transcript = Transcript()
    for cycle in range(KEPT_ENTRIES + 250):
        transcript.note(f"connected {cycle}")

    assert len(transcript.entries) == KEPT_ENTRIES
    assert transcript.dropped == 250
    rendered = transcript.render().splitlines()
    assert rendered[0] == "(250 earlier entries not kept)"
    assert rendered[1].endswith(f"-- connected {250}")
    assert rendered[-1].endswith(f"-- connected {KEPT_ENTRIES + 249}")


def test_a_short_transcript_drops_nothing() -> None:
    transcript = Transcript()
    transcript.record(Direction.READ, BATTERY_INFORMATION, bytes.fromhex("5a00000064"))
    assert transcript.dropped == 0
    assert not transcript.render().startswith("(")
