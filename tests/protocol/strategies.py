"""Hypothesis strategies that build every typed protocol value."""

from hypothesis import strategies as st

from iqos.protocol import (
    AmbientState,
    AmbientTemperature,
    BatteryInformation,
    CellReading,
    ChargerState,
    ChargerStatus,
    ChargerSystemError,
    DeviceStatus,
    EndOfHeatReason,
    ExtendedFrame,
    ExtendedType,
    HolderConnection,
    HolderError,
    HolderRecord,
    HolderState,
    HolderStatus,
    HolderWarning,
    LastSession,
    Node,
    ShortFrame,
)
from iqos.protocol.registers import FirmwareVersion, UsageCounter, VibrationSettings

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:  # type: ignore[type-arg]
    return st.none() | strategy


short_frames = st.builds(
    ShortFrame,
    node=st.sampled_from(Node),
    register=st.integers(0, 0x3FF),
    data=st.sampled_from([0, 4, 14, 24]).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    write=st.booleans(),
    response=st.booleans(),
)

extended_frames = st.builds(
    ExtendedFrame,
    node=st.sampled_from(Node),
    kind=st.sampled_from(ExtendedType),
    address=st.binary(min_size=2, max_size=2),
    data=st.binary(max_size=253),
)

cells = st.builds(CellReading, optional(u8), optional(u8), optional(u16)).filter(
    lambda cell: not cell.empty
)
battery_frames = st.builds(BatteryInformation, optional(cells), optional(cells), optional(cells))

sessions = st.builds(
    LastSession,
    end_reason=st.sampled_from(EndOfHeatReason),
    puff_count=u8,
    duty_cycle_fault=st.booleans(),
    new_information=st.booleans(),
    intensive_puffing=st.booleans(),
)
holder_records = st.builds(
    HolderRecord,
    error=optional(st.integers(0, 15).map(HolderError)),
    warning=optional(st.integers(0, 15).map(HolderWarning)),
    system_error=optional(st.integers(0, 0xFFFFFFFF)),
    last_session=optional(sessions),
)
states = optional(
    st.tuples(
        st.builds(ChargerStatus, st.sampled_from(ChargerState), st.booleans(), st.booleans()),
        st.builds(
            HolderStatus,
            st.sampled_from(HolderState),
            st.sampled_from(HolderConnection),
            st.booleans(),
        ),
    )
)
status_frames = st.builds(
    lambda system_error, pair, ambient, holder1, holder2, ambient_bits: DeviceStatus(
        charger_system_error=system_error,
        charger=pair[0] if pair else None,
        holder=pair[1] if pair else None,
        ambient=ambient,
        holder1=holder1,
        holder2=holder2,
        ambient_bits=ambient_bits,
    ),
    optional(st.integers(0, 15).map(ChargerSystemError)),
    states,
    optional(
        st.builds(AmbientTemperature, st.sampled_from(AmbientState), st.sampled_from(AmbientState))
    ),
    holder_records,
    holder_records,
    st.sampled_from([(2,), (7,)]),
)
"""Status frames every reading of flag bit 7 decodes (one ambient flag)."""

firmware_versions = st.builds(FirmwareVersion, u8, u8, u8, u8)
vibration_settings = st.builds(
    VibrationSettings, st.booleans(), st.booleans(), st.booleans(), st.booleans()
)
usage_counters = st.lists(st.builds(UsageCounter, u8, u16, u8), max_size=8)
