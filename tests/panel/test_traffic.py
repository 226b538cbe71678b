"""The tap hangs on the device's host, inside bumble's packet path: it must never break
the link it watches, nor hide packets from a snooper that was there first."""

from __future__ import annotations

from types import SimpleNamespace

from bumble.snoop import Snooper

from simulator.panel.traffic import GattTap


def test_the_tap_never_breaks_the_radio_and_passes_packets_on() -> None:
    seen: list[bytes] = []
    notes: list[str] = []
    earlier = SimpleNamespace(snoop=lambda data, direction: seen.append(data))
    radio = SimpleNamespace(host=SimpleNamespace(snooper=earlier))
    tap = GattTap(radio, on_entry=lambda entry: notes.append(entry.meaning), on_link=list)  # type: ignore[arg-type]
    truncated = bytes([0x04, 0x3E, 0x13, 0x01, 0x00])  # an LE connection complete, cut short
    tap.snoop(truncated, Snooper.Direction.CONTROLLER_TO_HOST)
    assert seen == [truncated], "the snooper already there still sees every packet"
    assert notes and notes[0].startswith("undecodable packet 04 3e 13 01 00")
    tap.detach()
    assert radio.host.snooper is earlier
