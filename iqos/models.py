"""The models the client knows, from the `protocol:` section of each device profile."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import yaml

from iqos.protocol.model import ModelSpec

DEFAULT_PROFILES = Path(__file__).resolve().parent.parent / "fixtures" / "devices"


def profiles_directory() -> Path:
    return Path(os.environ.get("IQOS_HIL_PROFILES", DEFAULT_PROFILES))


@cache
def _load(directory: Path) -> dict[str, ModelSpec]:
    models = {}
    for path in sorted(directory.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text())
        models[path.stem] = ModelSpec.from_mapping(path.stem, raw["protocol"])
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
