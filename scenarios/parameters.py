"""Parameter types for step patterns.

A model name is matched by its shape ("IQOS" and a word or two), and a finding
code by its quotes, not by the known names, so that a typo or a name in the
wrong case still reaches the step it was meant for and fails there with the
names it could have been, in the feature lint and at run time alike, instead of
as "unknown step" (or, for a finding a Then expects to be gone, as a pass).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from iqos.diagnostics import FINDINGS
from iqos.models import load_models
from iqos.protocol.model import ModelSpec

_MODELS = {spec.display_name: spec for spec in load_models().values()}
_FINDING_CODES = [kind.code for kind in FINDINGS]

MODEL_SHAPE = r"IQOS [\w.]+(?: \w+)?"
"""What a model name looks like in a step; every known name has this shape (tested)."""


class UnknownModel(LookupError):
    """A model name no device profile has.

    Not a ValueError: pytest-bdd reads a ValueError from a parameter type as "this
    step does not match", and would report the step as missing, hiding the names
    it could have been."""


class UnknownFinding(LookupError):
    """A finding code the diagnostics never report (LookupError, as for UnknownModel)."""


def _suggestion(text: str, known: list[str]) -> str | None:
    same_but_case = [name for name in known if name.casefold() == text.casefold()]
    if same_but_case:
        return same_but_case[0]
    by_folded = {name.casefold(): name for name in known}
    close = difflib.get_close_matches(text.casefold(), by_folded, n=1, cutoff=0.6)
    return by_folded[close[0]] if close else None


def model_called(text: str) -> ModelSpec:
    """The model with this display name, exactly as the profiles spell it."""
    if text in _MODELS:
        return _MODELS[text]
    suggestion = _suggestion(text, list(_MODELS))
    hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
    raise UnknownModel(f"unknown model {text!r}{hint}; known models: {', '.join(_MODELS)}")


def finding_code(text: str) -> str:
    """A code from the diagnostics' catalogue (docs/diagnostics.md)."""
    if text in _FINDING_CODES:
        return text
    suggestion = _suggestion(text, _FINDING_CODES)
    hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
    raise UnknownFinding(
        f"unknown finding {text!r}{hint}; the codes are listed in docs/diagnostics.md"
    )


class _Typed:
    """A `parse` type: its `pattern` limits what matches."""

    def __init__(self, pattern: str, convert: Callable[[str], Any]) -> None:
        self.pattern = pattern
        self._convert = convert

    def __call__(self, text: str) -> Any:
        return self._convert(text)


def _typed(pattern: str, convert: Callable[[str], Any]) -> Callable[[str], Any]:
    return _Typed(pattern, convert)


def _percent(text: str) -> int:
    return int(text)


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


TYPES: dict[str, Callable[[str], Any]] = {
    "Model": _typed(MODEL_SHAPE, model_called),
    "Percent": _typed(r"\d{1,3}", _percent),
    "Names": _typed(r"[a-z ,]+", _names),
    "Finding": _typed(r'[^"]+', finding_code),
}
