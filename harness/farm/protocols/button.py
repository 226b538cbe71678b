"""A device's button, held for a while and let go.

labgrid has no button protocol: a bench wires a button as a digital output (a
relay across its contacts), which knows on and off but no duration. An IQOS acts
on how long its button is held (10 s resets it), so the farm asks for a hold of
so many seconds, and each wiring decides how to give it: a relay closed for that
long, or the simulator's button held on its own clock.
"""

from __future__ import annotations

import abc


class ButtonProtocol(abc.ABC):
    @abc.abstractmethod
    def press_for(self, seconds: float) -> None:
        """Hold the button down for `seconds`, then let it go."""
        raise NotImplementedError
