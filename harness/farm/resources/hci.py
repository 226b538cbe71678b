"""The BLE adapter that reaches a place's device, served over HCI on TCP.

On the exporter's host, bumble's TCP HCI bridge sits in front of a USB or UART
dongle (`bumble-hci-bridge tcp-server:127.0.0.1:PORT usb:0`), or a simulator
serves its virtual radio the same way (`iqos-sim serve --hci-port PORT`). A
worker anywhere then drives the adapter with bumble over TCP: the exporter
publishes the bridge as a `NetworkHciAdapter` (harness.farm.exporter), and
labgrid's proxy tunnels to it over SSH when it listens on loopback only.
"""

from __future__ import annotations

import attr
from labgrid.factory import target_factory
from labgrid.resource.common import NetworkResource, Resource


@target_factory.reg_resource
@attr.s(eq=False)
class HciTcpAdapter(Resource):
    """The bridge as the exporter's configuration names it, on the exporter's host."""

    port: int = attr.ib(validator=attr.validators.instance_of(int))
    address: str = attr.ib(default="127.0.0.1", validator=attr.validators.instance_of(str))
    """Where the bridge listens: loopback keeps a Bluetooth adapter off the lab network."""


@target_factory.reg_resource
@attr.s(eq=False)
class NetworkHciAdapter(NetworkResource):
    """The bridge as a worker reaches it."""

    port: int = attr.ib(validator=attr.validators.instance_of(int))
