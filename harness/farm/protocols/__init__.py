"""Interfaces that labgrid has no protocol for."""

from harness.farm.protocols.button import ButtonProtocol

__all__ = ["ButtonProtocol"]
