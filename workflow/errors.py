"""Refusals the engine gives; each carries the Indonesian sentence the user will read."""

from __future__ import annotations


class WorkflowError(Exception):
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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

    def __init__(self, message: str, missing: list[str], confirmable: bool) -> None:
        super().__init__(message)
        self.missing = missing
        self.confirmable = confirmable  # only checkboxes are missing: "confirm all" may fix it


class NotFound(WorkflowError):
    code = "not_found"
