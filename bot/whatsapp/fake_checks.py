"""The fake Cloud API's checks of a message payload: WhatsApp's limits and the Graph API's
answers (codes, messages and error JSON) when a payload breaks them. Used by bot/whatsapp/fake.py.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import limits
from .message_templates import PARAM, MessageTemplate

# WhatsApp refuses template parameters with new lines, tabs or more than four spaces in a row.
BAD_PARAMETER = re.compile(r"[\n\t]| {5,}")


class GraphError(Exception):
    """An error answer of the Graph API."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: int = 400,
        subcode: int | None = None,
        details: str | None = None,
        kind: str = "OAuthException",
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.subcode, self.details, self.kind = subcode, details, kind

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.kind,
            "code": self.code,
            "fbtrace_id": secrets.token_urlsafe(16),
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        return {"error": error}


def invalid(details: str) -> GraphError:
    """131009: what the Cloud API answers for a value outside its limits."""
    return GraphError(131009, "(#131009) Parameter value is not valid", details=details)


def param(details: str) -> GraphError:
    """100: a parameter missing or of the wrong shape."""
    return GraphError(100, "(#100) Invalid parameter", details=details)


def too_long(where: str, limit: int) -> GraphError:
    return param(f"Param {where} must be at most {limit} characters long.")


def bad_length(where: str, limit: int) -> GraphError:
    """Interactive titles, ids and descriptions: 131009, as the real API answers them."""
    return invalid(f"{where} length invalid. Min length: 1, Max length: {limit}.")


@dataclass
class StoredMedia:
    id: str
    data: bytes
    mime_type: str
    file_name: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Received:
    """One message the bot sent a user, as their phone shows it."""

    id: str  # wamid
    kind: str  # text, interactive, document, image, template
    payload: dict[str, Any]
    text: str  # the body (a text, an interactive body, a caption, a template filled in)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (id or payload, title)
    rows: list[tuple[str, str, str | None]] = field(default_factory=list)  # id, title, descr.
    list_button: str | None = None
    media: StoredMedia | None = None
    template: str | None = None
    context: str | None = None  # the message it replies to

    @property
    def titles(self) -> list[str]:
        return [title for _, title in self.buttons] + [title for _, title, _ in self.rows]


def check_text(content: dict[str, Any], out: Received) -> None:
    out.text = string_field(content, "body", "text['body']", limits.TEXT_BODY)


def check_interactive(content: dict[str, Any], out: Received) -> None:
    sub = content.get("type")
    body = content.get("body")
    if not isinstance(body, dict):
        raise param("Param interactive['body'] is required.")
    out.text = string_field(body, "text", "interactive['body']['text']", limits.INTERACTIVE_BODY)
    header = content.get("header")
    if header is not None:
        if not isinstance(header, dict) or header.get("type") != "text":
            raise param("The fake takes text headers only.")
        string_field(header, "text", "interactive['header']['text']", limits.HEADER_TEXT)
    footer = content.get("footer")
    if footer is not None:
        string_field(footer, "text", "interactive['footer']['text']", limits.FOOTER_TEXT)
    action = content.get("action")
    if not isinstance(action, dict):
        raise param("Param interactive['action'] is required.")
    if sub == "button":
        _buttons(action, out)
    elif sub == "list":
        _list(action, out)
    else:
        raise param(f"Param interactive['type'] {sub!r} is not supported here.")


def _buttons(action: dict[str, Any], out: Received) -> None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        raise param("Param interactive['action']['buttons'] is required.")
    if len(buttons) > limits.REPLY_BUTTONS:
        raise invalid(f"Buttons count is {len(buttons)}, it must be between 1 and 3.")
    for index, button in enumerate(buttons):
        where = f"interactive['action']['buttons'][{index}]['reply']"
        if not isinstance(button, dict) or button.get("type") != "reply":
            raise param(f"{where}: the button type must be 'reply'.")
        reply = button.get("reply")
        if not isinstance(reply, dict):
            raise param(f"Param {where} is required.")
        button_id = string_field(reply, "id", f"{where}['id']", limits.BUTTON_ID, bad_length)
        title = string_field(reply, "title", f"{where}['title']", limits.BUTTON_TITLE, bad_length)
        out.buttons.append((button_id, title))
    if len({i for i, _ in out.buttons}) != len(out.buttons):
        raise invalid("Button ids must be unique.")
    if len({t for _, t in out.buttons}) != len(out.buttons):
        raise invalid("Button titles must be unique.")


def _list(action: dict[str, Any], out: Received) -> None:
    out.list_button = string_field(
        action, "button", "interactive['action']['button']", limits.LIST_BUTTON_TEXT, bad_length
    )
    sections = action.get("sections")
    if not isinstance(sections, list) or not sections:
        raise param("Param interactive['action']['sections'] is required.")
    if len(sections) > limits.LIST_SECTIONS:
        raise invalid(f"Sections count is {len(sections)}, it must be at most 10.")
    for s, section in enumerate(sections):
        where = f"interactive['action']['sections'][{s}]"
        if not isinstance(section, dict):
            raise param(f"Param {where} must be an object.")
        if len(sections) > 1 or "title" in section:
            string_field(section, "title", f"{where}['title']", limits.SECTION_TITLE, bad_length)
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            raise param(f"Param {where}['rows'] is required.")
        for r, row in enumerate(rows):
            at = f"{where}['rows'][{r}]"
            if not isinstance(row, dict):
                raise param(f"Param {at} must be an object.")
            row_id = string_field(row, "id", f"{at}['id']", limits.ROW_ID, bad_length)
            title = string_field(row, "title", f"{at}['title']", limits.ROW_TITLE, bad_length)
            description = None
            if "description" in row:
                description = string_field(
                    row,
                    "description",
                    f"{at}['description']",
                    limits.ROW_DESCRIPTION,
                    bad_length,
                )
            out.rows.append((row_id, title, description))
    if len(out.rows) > limits.LIST_ROWS:
        raise invalid(f"Total row count is {len(out.rows)}, it must be at most 10.")
    if len({i for i, _, _ in out.rows}) != len(out.rows):
        raise invalid("Row ids must be unique.")


def check_template(
    templates: dict[str, MessageTemplate], content: dict[str, Any], out: Received
) -> None:
    name = content.get("name")
    language = content.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    template = templates.get(name) if isinstance(name, str) else None
    if template is None or template.language != code:
        raise GraphError(
            132001,
            "(#132001) Template name does not exist in the translation",
            details=f"template name ({name}) does not exist in {code}",
        )
    components = content.get("components", [])
    if not isinstance(components, list):
        raise param("Param template['components'] must be a list.")
    values: list[str] = []
    payload: str | None = None
    for component in components:
        if not isinstance(component, dict):
            raise param("Param template['components'] must hold objects.")
        if component.get("type") == "body":
            for parameter in component.get("parameters", []):
                if not isinstance(parameter, dict) or parameter.get("type") != "text":
                    raise param("The fake takes text body parameters only.")
                value = str(parameter.get("text", ""))
                if not value.strip() or BAD_PARAMETER.search(value):
                    raise GraphError(
                        132018,
                        "(#132018) There was an issue with the parameters in your template.",
                        details="Param text cannot have new-line/tab characters or more "
                        "than 4 consecutive spaces",
                    )
                values.append(value)
        elif component.get("type") == "button":
            if component.get("sub_type") != "quick_reply" or template.quick_reply is None:
                raise GraphError(132000, "(#132000) Number of parameters does not match")
            if str(component.get("index")) != "0":
                raise invalid("The template has one button, at index 0.")
            parameters = component.get("parameters") or [{}]
            payload = parameters[0].get("payload") if isinstance(parameters[0], dict) else None
            if not isinstance(payload, str) or not payload:
                raise param("Param quick_reply payload is required.")
            if limits.units(payload) > limits.BUTTON_ID:
                raise too_long("button payload", limits.BUTTON_ID)
    if len(values) != template.parameters:
        raise GraphError(
            132000,
            "(#132000) Number of parameters does not match the expected number of params",
            details=f"body: number of localizable_params ({len(values)}) does not match the "
            f"expected number of params ({template.parameters})",
        )
    out.text = PARAM.sub(lambda m: values[int(m.group(1)) - 1], template.body)
    out.template = template.name
    if template.quick_reply is not None:
        out.buttons.append((payload or template.quick_reply, template.quick_reply))


def string_field(
    mapping: Any,
    key: str,
    where: str,
    limit: int,
    over: Callable[[str, int], GraphError] = too_long,
) -> str:
    """A required, non-blank string field within ``limit`` UTF-16 units."""
    value = mapping.get(key) if isinstance(mapping, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise param(f"Param {where} is required and must be a non-empty string.")
    if limits.units(value) > limit:
        raise over(where, limit)
    return value
