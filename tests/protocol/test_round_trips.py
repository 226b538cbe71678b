"""Property-based round trips: every frame type encodes and decodes to itself."""

from hypothesis import given
from hypothesis import strategies as st

from iqos.protocol import (
    Advertisement,
    BatteryInformation,
    DeviceStatus,
    ExtendedFrame,
    PairingState,
    Reassembler,
    ShortFrame,
    decode_frame,
    fragment,
)
from iqos.protocol.registers import (
    FirmwareVersion,
    UsageCounter,
    VibrationSettings,
    decode_usage_counters,
    encode_usage_counters,
)
from tests.protocol.strategies import (
    battery_frames,
    extended_frames,
    firmware_versions,
    short_frames,
    status_frames,
    usage_counters,
    vibration_settings,
)


@given(short_frames)
def test_short_frames(frame: ShortFrame) -> None:
    assert decode_frame(frame.encode()) == frame


@given(extended_frames)
def test_extended_frames(frame: ExtendedFrame) -> None:
    assert decode_frame(frame.encode()) == frame


@given(st.one_of(short_frames, extended_frames), st.integers(3, 64))
def test_fragmented_frames_reassemble(frame: ShortFrame | ExtendedFrame, size: int) -> None:
    pieces = fragment(frame.encode(), size)
    assert all(len(piece) <= size for piece in pieces)
    reassembler = Reassembler()
    results = [reassembler.feed(piece) for piece in pieces]
    assert results[:-1] == [None] * (len(pieces) - 1)
    assert results[-1] == frame
    assert not reassembler.pending


@given(battery_frames)
def test_battery_frames(battery: BatteryInformation) -> None:
    assert BatteryInformation.decode(battery.encode()) == battery


@given(status_frames)
def test_status_frames(status: DeviceStatus) -> None:
    assert DeviceStatus.decode(status.encode()) == status


@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=29
    ),
    st.sampled_from(PairingState),
)
def test_advertisements(name: str, state: PairingState) -> None:
    advertisement = Advertisement(name=name, pairing_state=state)
    decoded = Advertisement.decode(
        advertisement.advertising_data(), advertisement.scan_response_data()
    )
    assert decoded == advertisement


@given(firmware_versions)
def test_firmware_versions(version: FirmwareVersion) -> None:
    assert FirmwareVersion.decode(version.encode()) == version


@given(vibration_settings)
def test_vibration_settings(settings: VibrationSettings) -> None:
    assert VibrationSettings.decode(settings.encode()) == settings


@given(usage_counters)
def test_usage_counters(counters: list[UsageCounter]) -> None:
    assert decode_usage_counters(encode_usage_counters(counters)) == counters
