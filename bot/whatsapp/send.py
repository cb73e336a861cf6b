"""One reply to one person on WhatsApp: as rendered inside their 24-hour window, else as the
template message that brings them back.

Not called by the bot yet: the outbox's WhatsApp sender (issue 13's next step) will use it with
the person's last-inbound time from the database. Two ways a window can be closed, both ending
in the template: our own check (last message over 24 hours ago, less a margin), and WhatsApp's
refusal (131047) when its clock and ours disagree, in which case the messages already sent stay
sent and the template stands for the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from workflow.clock import Clock

from .client import OutsideWindow, WhatsAppClient
from .render import Outgoing, Payload
from .window import may_send_free_form


@dataclass(frozen=True)
class Sent:
    message_ids: tuple[str, ...]  # wamids, in order (a prompt's is the one a follow-up quotes)
    as_template: bool  # the template went: the full reply waits for the person's quick reply


async def send_reply(
    client: WhatsAppClient,
    messages: Sequence[Outgoing],
    *,
    template: Payload,
    last_inbound: datetime | None,
    clock: Clock,
) -> Sent:
    """Send ``messages`` (render()'s output for one reply) or, outside the window, ``template``
    (a window.template_message whose quick reply reopens the reply). Errors other than a closed
    window propagate: the outbox decides (retry, give up, unreachable)."""
    if not messages:
        return Sent((), False)
    if not may_send_free_form(last_inbound, clock):
        return Sent((await client.send(template),), True)
    sent: list[str] = []
    for outgoing in messages:
        try:
            sent.append(await client.send_outgoing(outgoing))
        except OutsideWindow:
            sent.append(await client.send(template))
            return Sent(tuple(sent), True)
    return Sent(tuple(sent), False)
