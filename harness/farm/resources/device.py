"""The device on a place."""

from __future__ import annotations

import attr
from labgrid.factory import target_factory
from labgrid.resource.common import Resource

from harness.bench import ADDRESS


def _address(instance: object, attribute: object, value: str) -> None:
    if not ADDRESS.fullmatch(value.upper()):
        raise ValueError(f"address {value!r} is not a BLE address (AA:BB:CC:DD:EE:FF)")


@target_factory.reg_resource
@attr.s(eq=False)
class IqosDevice(Resource):
    """An IQOS on the bench: the only address a worker's client may connect to while
    it holds the place (never a device of a place somebody else holds, which may be
    in range), and the label a person at the bench knows it by."""

    address: str = attr.ib(validator=[attr.validators.instance_of(str), _address])
    label: str = attr.ib(default="", validator=attr.validators.instance_of(str))
