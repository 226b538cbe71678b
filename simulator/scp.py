"""How a simulated device answers SCP requests on its control point.

Unknown registers, a node the model does not have, a capability it lacks, a
write to a read-only register, or data malformed for its register (a valid CRC
around too few bytes, say) get no answer (assumed: the reference only says that
bad checksums get none), so the client sees what it would see from a real
device that ignores the request: a timeout. Whatever the bytes, `answer` never
raises: the radio adapters call it while the client waits for an ATT response.

A register answers on the node docs/protocol.md shows it on (the keep-alive,
battery and error code on the charger; the lock and the holder's brightness on
the holder), and on models with the capability it needs. Extra argument bytes
after a short frame's data (`00 C0 00 00 00 00 00`) are dropped by the
reassembly unless the profile's `behaviour.scp_extra_bytes` takes them; taken,
they change nothing in the answer.
"""

from __future__ import annotations

from iqos.protocol import ExtendedFrame, ExtendedType, Frame, Node, ProtocolError, ShortFrame
from iqos.protocol.model import Capability
from iqos.protocol.registers import (
    ExtendedAddress,
    FirmwareVersion,
    HolderRegister,
    Register,
    VibrationSettings,
    decode_brightness,
    decode_clock,
    decode_find_my,
    decode_lock,
    encode_battery_voltage,
    encode_brightness,
    encode_clock,
    encode_lock,
    encode_stick_inserted,
    encode_text,
    encode_u16,
)
from simulator.device import SimulatedDevice


def answer(device: SimulatedDevice, frame: Frame) -> Frame | None:
    """The one answer the device notifies for `frame`, or None for no answer."""
    if frame.response:
        return None
    nodes = {Node.CHARGER, Node.HOLDER} if device.holder is not None else {Node.CHARGER}
    if frame.node not in nodes:
        return None
    try:
        if isinstance(frame, ExtendedFrame):
            return _extended(device, frame)
        return _short(device, frame)
    except ProtocolError:
        return None


def _short(device: SimulatedDevice, frame: ShortFrame) -> ShortFrame | None:
    spec = device.profile.spec
    if spec.reset is not None and frame.register == spec.reset.register and frame.write:
        if frame.data != spec.reset.data or not spec.supports(Capability.APP_RESET):
            return None
        device.reset()
        return frame.answer(frame.data)
    if not frame.write:
        data = _read(device, frame)
        return None if data is None else frame.answer(data)
    if not _write(device, frame):
        return None
    return frame.answer(frame.data)


def _read(device: SimulatedDevice, frame: ShortFrame) -> bytes | None:
    """The value of a register, where this model has it (docs/protocol.md: each
    register with the public source that shows it)."""
    profile = device.profile
    can = profile.spec.supports
    match frame.node, frame.register:
        case _, Register.FIRMWARE_VERSION:
            return FirmwareVersion(*profile.firmware).encode()
        case _, Register.PRODUCT_NUMBER:
            return encode_text(profile.serial[:14])
        case _, Register.MODEL_CODE:
            return encode_text(profile.spec.model_number)
        case Node.CHARGER, Register.DEVICE_INFO:
            return bytes((1, 0, 0, 0))
        case Node.CHARGER, Register.BATTERY_PERCENT:
            return encode_u16(device.charger.level)
        case Node.CHARGER, Register.BATTERY_VOLTAGE:
            return encode_battery_voltage(device.charger.voltage_mv)
        case Node.CHARGER, Register.ERROR_CODE:
            return encode_u16(device.error_code())
        case Node.CHARGER, Register.STICK_INSERTED:
            return encode_stick_inserted(device.heating is not None)
        case _, Register.VIBRATION if can(Capability.HAPTICS):
            return device.haptics.encode()
        case Node.HOLDER, Register.LOCK if can(Capability.LOCK):
            return encode_lock(device.locked)
        case Node.CHARGER, Register.BRIGHTNESS if can(Capability.BRIGHTNESS):
            return encode_brightness(device.brightness)
        case Node.HOLDER, HolderRegister.BRIGHTNESS if can(Capability.BRIGHTNESS):
            return encode_brightness(device.holder_brightness)
    return None


def _write(device: SimulatedDevice, frame: ShortFrame) -> bool:
    can = device.profile.spec.supports
    match frame.node, frame.register:
        case Node.CHARGER, Register.FIND_MY if can(Capability.FIND_MY):
            device.locate(decode_find_my(frame.data))
        case Node.HOLDER, Register.LOCK if can(Capability.LOCK):
            device.locked = decode_lock(frame.data)
        case Node.CHARGER, Register.BRIGHTNESS if can(Capability.BRIGHTNESS):
            device.brightness = decode_brightness(frame.data)
        case Node.HOLDER, HolderRegister.BRIGHTNESS if can(Capability.BRIGHTNESS):
            device.holder_brightness = decode_brightness(frame.data)
        case _, Register.VIBRATION if can(Capability.HAPTICS):
            device.haptics = VibrationSettings.decode(frame.data)
        case _:
            return False
    return True


def _extended(device: SimulatedDevice, frame: ExtendedFrame) -> ExtendedFrame | None:
    """The clock on the charger, the usage counters on the holder, as documented."""
    spec = device.profile.spec
    if (
        frame.node is Node.CHARGER
        and frame.address == ExtendedAddress.CLOCK
        and spec.supports(Capability.CLOCK)
    ):
        if frame.kind is ExtendedType.READ:
            return frame.answer(encode_clock(device.device_clock()))
        if frame.kind is ExtendedType.WRITE:
            device.set_device_clock(decode_clock(frame.data))
            return frame.answer()
    if (
        frame.node is Node.HOLDER
        and frame.address == ExtendedAddress.USAGE_COUNTERS
        and frame.kind is ExtendedType.READ
        and spec.supports(Capability.USAGE_COUNTERS)
    ):
        return frame.answer(device.usage_counters().encode())
    return None
