"""The bench farm: IQOS devices on labgrid places, shared by CI jobs and engineers.

A place is one device on a bench, tagged with its model (and whatever else a lab
selects by: firmware, holder, location). Its resources are the BLE adapter that
reaches the device, exported over HCI on TCP, the device's address, and, where
wired, its power and button. labgrid coordinates who holds which place; this
package holds only what labgrid lacks, in labgrid's own split: `resources`
(passive), `drivers` (act), `protocols` (interfaces), a `strategy`, and the
exporter's side (`exporter`). `places` is a worker's side; `guard` releases a
worker's places when the worker dies; `lane` runs a farm of simulated devices on
one machine. docs/bench-farm.md tells a lab how to set one up.
"""
