"""WhatsApp Cloud API groundwork (issue 13), not yet wired to the bot.

- :mod:`.limits`: WhatsApp's limits, enforced by the fake and kept by the renderer;
- :mod:`.markup`: Telegram HTML to WhatsApp formatting (``*tebal*``, ``_miring_``...);
- :mod:`.render`: the bot's replies (handlers/replies.py) as Cloud API payloads;
- :mod:`.window`: the 24-hour window and the template messages sent outside it;
- :mod:`.message_templates`: the templates the office submits to Meta;
- :mod:`.inbound` and :mod:`.webhook`: the signed webhook, decoded into dataclasses;
- :mod:`.client`: sending and media over the Graph API, errors mapped to outbox outcomes;
- :mod:`.send`: one reply to one person, or the template when their window is closed;
- :mod:`.fake` and :mod:`.fake_user`: a strict fake Cloud API and the users it plays.

See docs/whatsapp.md for the office's setup and what is not built yet.
"""
