"""Refusals the engine gives: a code and its data; the words are in
templates/messages/refusals.txt.j2 (one macro per code), rendered when someone reads them."""

from __future__ import annotations

from workflow import wording


class WorkflowError(Exception):
    """``reason``: the refusal's code (a macro of refusals.txt.j2); ``data``: what it names."""

    code = "error"

    def __init__(self, reason: str = "error", /, **data: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = data

    @property
    def message(self) -> str:
        """The Indonesian sentence the user reads."""
        return wording.phrase("refusals", self.reason, **self.data)

    def __str__(self) -> str:
        return self.message


class NotAllowed(WorkflowError):
    code = "not_allowed"


class TaskClosed(WorkflowError):
    code = "task_closed"


class UnknownAction(WorkflowError):
    code = "unknown_action"


class ReasonRequired(WorkflowError):
    code = "reason_required"


class KelengkapanMissing(WorkflowError):
    code = "kelengkapan_missing"

    def __init__(self, reason: str, missing: list[str], confirmable: bool) -> None:
        super().__init__(reason, items=list(missing))
        self.missing = missing
        self.confirmable = confirmable  # only checkboxes are missing: "confirm all" may fix it


class NotFound(WorkflowError):
    code = "not_found"
