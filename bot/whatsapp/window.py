"""WhatsApp's 24-hour customer-service window, and the template messages sent outside it.

A person's window opens each time they write to us and lasts 24 hours; outside it WhatsApp
refuses free-form messages (error 131047) and delivers only pre-approved templates. The check
reads the injected clock (workflow.clock), never the OS.

A margin closes our side of the window a little early: a row may wait in the outbox (pacing,
a retry) between the check and the send, and a template that reopens the prompt is better than
a refused message that must then be sent again as a template anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from workflow.clock import Clock

from . import limits
from .markup import shorten
from .message_templates import approved
from .render import Payload

MARGIN = timedelta(minutes=5)


def window_closes(last_inbound: datetime) -> datetime:
    return last_inbound + limits.SERVICE_WINDOW


def may_send_free_form(
    last_inbound: datetime | None, clock: Clock, margin: timedelta = MARGIN
) -> bool:
    """True while a free-form message to the person will be accepted.

    ``last_inbound``: when they last wrote to us (None: never, so no window is open).
    """
    now = clock.now()
    if last_inbound is None:
        return False
    return last_inbound <= now < window_closes(last_inbound) - margin


def template_parameter(value: str) -> str:
    """A value as a template parameter: one line (WhatsApp refuses new lines, tabs and runs of
    more than four spaces in parameters), within the parameter limit."""
    flat = " ".join(value.split()) or "-"
    if limits.units(flat) <= limits.TEMPLATE_PARAMETER:
        return flat
    return shorten(flat, limits.TEMPLATE_PARAMETER)


def template_message(to: str, name: str, values: tuple[str, ...], reopen: str) -> Payload:
    """A template message from templates/whatsapp/message_templates.yaml.

    ``reopen``: the payload of its quick-reply button, which comes back in the webhook when the
    person presses it (a callback data, so the bot can send the full message again: by then
    the press has opened a new window).
    """
    template = approved()[name]
    if len(values) != template.parameters:
        raise ValueError(f"template {name} takes {template.parameters} parameters")
    components: list[Payload] = [
        {
            "type": "body",
            "parameters": [{"type": "text", "text": template_parameter(v)} for v in values],
        }
    ]
    if template.quick_reply is not None:
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": reopen}],
            }
        )
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": template.language},
            "components": components,
        },
    }


def new_task(to: str, agenda: str, reopen: str) -> Payload:
    """ "Ada tugas baru untuk Anda: {agenda}. Balas untuk membuka." with its quick reply."""
    return template_message(to, "tugas_baru", (agenda,), reopen)
