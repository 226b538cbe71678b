"""Typed errors of the client stack: a script can tell why an operation failed."""

from __future__ import annotations


class IqosError(Exception):
    """Base class; `reason` is a short, stable phrase for reports and exit codes."""

    reason = "error"


class DeviceNotFound(IqosError):
    reason = "not found"


class NotAdvertising(DeviceNotFound):
    """No scan heard the device: it is off, out of range, or (most often) past its
    advertising window, which a press of its button opens again."""

    reason = "not advertising"
    advice = "press its button to make it advertise"


class PairingRefused(IqosError):
    reason = "pairing refused"


class OperationTimeout(IqosError):
    reason = "timeout"


class Disconnected(IqosError):
    reason = "disconnected"


class NotSupported(IqosError):
    reason = "not supported"


class BadAnswer(IqosError):
    """The device answered, but with bytes that are not a valid frame (bad CRC, truncated)."""

    reason = "protocol error"


class BenchRefused(IqosError):
    """The hardware target refuses any device that is not on the bench."""

    reason = "not on the bench"
