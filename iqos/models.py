"""The models the client knows, from the `protocol:` section of each device profile."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from iqos.protocol import ProtocolError
from iqos.protocol.documents import decode
from iqos.protocol.model import ModelSpec, profiles_directory


class ProfilesError(ValueError):
    """The profiles cannot be read; the message names the file and what is wrong, in one
    line, because `IQOS_HIL_PROFILES` points at files QA edits by hand."""


def _protocol_section(path: Path) -> object:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ProfilesError(f"{path}: cannot read: {error.strerror}") from None
    raw = decode(data, path, ProfilesError)
    if not isinstance(raw, dict) or "protocol" not in raw:
        raise ProfilesError(f"{path}: expected a mapping with a 'protocol' section")
    return raw["protocol"]


@cache
def _load(directory: Path) -> dict[str, ModelSpec]:
    if not directory.is_dir():
        raise ProfilesError(f"{directory}: no such folder of device profiles")
    models = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            models[path.stem] = ModelSpec.from_mapping(path.stem, _protocol_section(path))
        except ProtocolError as error:
            raise ProfilesError(f"{path}: {error.reason}") from None
    if not models:
        raise ProfilesError(f"{directory}: no device profiles (*.yaml) in it")
    return models


def load_models() -> dict[str, ModelSpec]:
    """Profile key -> model, e.g. `iqos-3-duo` -> IQOS 3 DUO."""
    return _load(profiles_directory())


def model_for_name(local_name: str | None) -> ModelSpec | None:
    """Model detection from the advertised name (the prefixes are assumed, see the profiles)."""
    if not local_name:
        return None
    candidates = [m for m in load_models().values() if local_name.startswith(m.name_prefix)]
    return max(candidates, key=lambda m: len(m.name_prefix), default=None)


def model_named(text: str) -> ModelSpec:
    for key, model in load_models().items():
        if text in (key, model.display_name):
            return model
    known = ", ".join(m.display_name for m in load_models().values())
    raise KeyError(f"unknown model {text!r}; known: {known}")
