"""Imports aiogram with its Telegram types built on first use instead of all at import.

aiogram declares its ~300 types `defer_build=True`, then calls `model_rebuild()` on every one of
them at the end of `aiogram.types` (to resolve their forward references), which builds every
pydantic validator at once: about 100 MB of the bot's memory and most of aiogram's import time,
though a bot uses a few dozen of them. Here, while aiogram is imported, that rebuild only
records the names it was given in each type's namespace; pydantic then builds a type's
validator the first time it is used, resolving the same names. Methods and `Response[...]`
get the names too (their validators are built lazily anyway, and refer to the types).

If aiogram was imported before this module (a test, a script), nothing changes.
tests/test_aiogram_lazy.py checks that every method and every answer type still builds.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel


def _import_lazily() -> None:
    if "aiogram" in sys.modules:
        return
    rebuild = BaseModel.model_rebuild.__func__  # type: ignore[attr-defined]
    names: dict[str, Any] = {}

    def record(cls: type[BaseModel], **kwargs: Any) -> bool | None:
        namespace = kwargs.get("_types_namespace")
        if namespace is None or cls.__pydantic_complete__ or set(kwargs) != {"_types_namespace"}:
            return rebuild(cls, **kwargs)  # type: ignore[no-any-return]
        names.update(namespace)
        _add_names(cls, namespace)
        return None

    BaseModel.model_rebuild = classmethod(record)  # type: ignore[assignment,method-assign]
    try:
        import aiogram
        import aiogram.methods
        from aiogram.methods.base import Response
    finally:
        BaseModel.model_rebuild = classmethod(rebuild)  # type: ignore[assignment,method-assign]
    for name in aiogram.methods.__all__:
        method = getattr(aiogram.methods, name)
        if isinstance(method, type) and issubclass(method, BaseModel):
            _add_names(method, names)
    _add_names(Response, names)


def _add_names(cls: type[BaseModel], names: dict[str, Any]) -> None:
    cls.__pydantic_parent_namespace__ = {**(cls.__pydantic_parent_namespace__ or {}), **names}


_import_lazily()
