"""How a simulated device answers SCP requests on its control point.

Unknown registers, a node the model does not have, a capability it lacks, a
write to a read-only register, or data malformed for its register (a valid CRC
around too few bytes, say) get no answer (assumed: the reference only says that
bad checksums get none), so the client sees what it would see from a real
device that ignores the request: a timeout. Whatever the bytes, `answer` never
raises: the radio adapters call it while the client waits for an ATT response.
"""

from __future__ import annotations

from iqos.protocol import ExtendedFrame, ExtendedType, Frame, Node, ProtocolError, ShortFrame
from iqos.protocol.model import Capability
from iqos.protocol.registers import (
    CounterTag,
    ExtendedAddress,
    FirmwareVersion,
    Register,
    UsageCounter,
    VibrationSettings,
    decode_clock,
    decode_find_my,
    decode_lock,
    encode_clock,
    encode_stick_inserted,
    encode_text,
    encode_u16,
    encode_usage_counters,
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
    identity = device.profile
    match frame.register:
        case Register.FIRMWARE_VERSION:
            return FirmwareVersion(*identity.firmware).encode()
        case Register.DEVICE_INFO:
            return bytes((1, 0, 0, 0))
        case Register.PRODUCT_NUMBER:
            return encode_text(identity.serial[:14])
        case Register.BATTERY_PERCENT:
            level = device.charger.level if frame.node is Node.CHARGER else device.holder_level()
            return encode_u16(level)
        case Register.MODEL_CODE:
            return encode_text(identity.spec.model_number)
        case Register.ERROR_CODE:
            return encode_u16(device.error_code())
        case Register.STICK_INSERTED:
            return encode_stick_inserted(device.heating is not None)
        case Register.VIBRATION if identity.spec.supports(Capability.HAPTICS):
            return device.haptics.encode()
    return None


def _write(device: SimulatedDevice, frame: ShortFrame) -> bool:
    spec = device.profile.spec
    match frame.register:
        case Register.FIND_MY if spec.supports(Capability.FIND_MY):
            device.vibrating = decode_find_my(frame.data)
        case Register.LOCK if spec.supports(Capability.LOCK):
            device.locked = decode_lock(frame.data)
        case Register.BRIGHTNESS if spec.supports(Capability.BRIGHTNESS):
            device.brightness = _brightness(frame.data)
        case Register.VIBRATION if spec.supports(Capability.HAPTICS):
            device.haptics = VibrationSettings.decode(frame.data)
        case _:
            return False
    return True


def _brightness(data: bytes) -> int:
    """The level, first byte of the 4-byte record (`64 00 00 00` is high)."""
    if len(data) != 4:
        raise ProtocolError(f"brightness is a 4-byte record, not {len(data)} bytes", data)
    return data[0]


def _extended(device: SimulatedDevice, frame: ExtendedFrame) -> ExtendedFrame | None:
    spec = device.profile.spec
    if frame.address == ExtendedAddress.CLOCK and spec.supports(Capability.CLOCK):
        if frame.kind is ExtendedType.READ:
            return frame.answer(encode_clock(device.device_clock()))
        if frame.kind is ExtendedType.WRITE:
            device.set_device_clock(decode_clock(frame.data))
            return frame.answer()
    if (
        frame.address == ExtendedAddress.USAGE_COUNTERS
        and frame.kind is ExtendedType.READ
        and spec.supports(Capability.USAGE_COUNTERS)
    ):
        counters = [UsageCounter(0, device.sessions_smoked, CounterTag.SESSIONS)]
        return frame.answer(encode_usage_counters(counters))
    return None
