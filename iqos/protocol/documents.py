"""Hand-edited YAML (device profiles, benches, fault and operator scripts), decoded
one way by every loader above this package.

People edit these files, so a mistake must read as one line naming the file and
the problem, never a traceback or PyYAML's multi-line message. Reading the file
is the caller's: this package does no I/O, which is what lets the client and the
simulator share it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml


def decode(data: bytes, source: object, error: Callable[[str], Exception]) -> Any:
    """`data` as YAML; a problem is raised as `error` (the caller's own type, so its
    callers catch what they always caught), its message starting with `source`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{source}: not UTF-8 text") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise error(f"{source}: not valid YAML: {' '.join(str(problem).split())}") from None
