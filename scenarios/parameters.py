"""Parameter types for step patterns: they decide what a step matches, so a typo in
a model name fails the feature lint instead of a step at run time."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from iqos.models import load_models
from iqos.protocol.model import ModelSpec

_MODELS = {spec.display_name: spec for spec in load_models().values()}


class _Typed:
    """A `parse` type: its `pattern` limits what matches, so a typo fails the lint."""

    def __init__(self, pattern: str, convert: Callable[[str], Any]) -> None:
        self.pattern = pattern
        self._convert = convert

    def __call__(self, text: str) -> Any:
        return self._convert(text)


def _typed(pattern: str, convert: Callable[[str], Any]) -> Callable[[str], Any]:
    return _Typed(pattern, convert)


def _model(text: str) -> ModelSpec:
    return _MODELS[text]


def _percent(text: str) -> int:
    return int(text)


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


TYPES: dict[str, Callable[[str], Any]] = {
    "Model": _typed(
        "|".join(re.escape(name) for name in sorted(_MODELS, key=len, reverse=True)), _model
    ),
    "Percent": _typed(r"\d{1,3}", _percent),
    "Names": _typed(r"[a-z ,]+", _names),
}
