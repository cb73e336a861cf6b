"""Phrases from the plain-text macro templates in templates/messages/*.txt.j2, for code below
handlers/ (refusals, report words): every sentence a person reads lives in templates/."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("templates", ""),
        autoescape=False,  # plain text: an HTML message escapes it where it is placed
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def module(template: str) -> Any:
    return _env().get_template(f"messages/{template}.txt.j2").module


def phrase(template: str, name: str, /, *args: object, **data: object) -> str:
    """The macro ``name`` of templates/messages/<template>.txt.j2, called with ``data``."""
    macro = getattr(module(template), name, None)
    if macro is None:
        raise KeyError(f"no phrase {name!r} in templates/messages/{template}.txt.j2")
    return " ".join(str(macro(*args, **data)).split())


def lines(template: str, name: str, /, **data: object) -> list[str]:
    """The macro ``name`` as the lines it lays out (a command's table or block), each kept as
    written but for trailing spaces; blank lines at either end dropped."""
    text = str(getattr(module(template), name)(**data))
    return [line.rstrip() for line in text.strip("\n").split("\n")]


def has_phrase(template: str, name: str) -> bool:
    return getattr(module(template), name, None) is not None
