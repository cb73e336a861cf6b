"""The bot on WhatsApp, over the Cloud API (issue 13); on with BOT_PLATFORMS=...whatsapp.

- :mod:`.limits`: WhatsApp's limits, enforced by the fake and kept by the renderer;
- :mod:`.markup`: Telegram HTML to WhatsApp formatting (``*tebal*``, ``_miring_``...);
- :mod:`.render`: the bot's replies (handlers/replies.py) as Cloud API payloads;
- :mod:`.window`: the 24-hour window and the template messages sent outside it;
- :mod:`.message_templates`: the templates the office submits to Meta;
- :mod:`.inbound` and :mod:`.webhook`: the signed webhook, decoded into dataclasses;
- :mod:`.client`: sending and media over the Graph API, errors mapped to outbox outcomes;
- :mod:`.send`: one reply to one person, or the template when their window is closed;
- :mod:`.port`: the outbox sender's ApiPort over the client (the window, templates, ``Held``);
- :mod:`.adapter`: the webhook server and the core's events, the runtime's adapter;
- :mod:`.ids`: WhatsApp's string message ids as the integers the core keeps;
- :mod:`.core`: the platform-neutral core's names, a stand-in until the core branch merges;
- :mod:`.fake` and :mod:`.fake_user`: a strict fake Cloud API and the users it plays.

See docs/whatsapp.md for the office's setup and what is built.
"""
