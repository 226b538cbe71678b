"""Run a bleak script against the virtual radio without changing it.

    IQOS_HIL_HCI=tcp-client:127.0.0.1:PORT python -m harness.bleak_backend script.py [args]
    python -m harness.bleak_backend install-hook

The first installs the backend (``harness.bleak_backend.install``) and runs the
script as ``__main__``. The second writes a ``.pth`` file into this
environment's site-packages, so that every interpreter of the environment
installs the backend at start-up whenever ``IQOS_HIL_HCI`` is set, and does
nothing more than read one environment variable when it is not.
"""

from __future__ import annotations

import runpy
import sys
import sysconfig
from pathlib import Path

from harness.bleak_backend import ENVIRONMENT_VARIABLE, install

HOOK_NAME = "iqos_hil_bleak_backend.pth"
HOOK_LINE = (
    f"import os; os.environ.get({ENVIRONMENT_VARIABLE!r}) and "
    "__import__('harness.bleak_backend').bleak_backend.install()\n"
)


def write_hook(site_packages: Path) -> Path:
    """Write the start-up hook into a site directory; the same content each time."""
    path = site_packages / HOOK_NAME
    path.write_text(HOOK_LINE)
    return path


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] == "install-hook":
        print(write_hook(Path(sysconfig.get_paths()["purelib"])))
        return 0
    install()
    sys.argv = argv
    runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
