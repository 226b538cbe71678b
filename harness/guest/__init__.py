"""A real Linux Bluetooth stack (BlueZ) for a machine without one, in a QEMU guest.

The guest boots Debian's kernel on the host's own root, read-only, starts
dbus, bluetoothd and two linked LE-only btvirt controllers, and runs one
command in it: the `bluez` target's tests, or the smoke test. See
docs/bluez-lane.md.
"""
