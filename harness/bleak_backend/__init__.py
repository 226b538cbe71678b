"""A bleak backend over the bumble virtual radio: pass `backend=BumbleClient` /
`backend=BumbleScanner` to bleak, after `use_link(link)`."""

from harness.bleak_backend.client import BumbleClient
from harness.bleak_backend.radio import ClientRadio, current, use_link
from harness.bleak_backend.scanner import BumbleScanner

__all__ = ["BumbleClient", "BumbleScanner", "ClientRadio", "current", "use_link"]
