"""The message templates the office submits to Meta (templates/whatsapp/message_templates.yaml).

Outside a person's 24-hour window WhatsApp delivers only pre-approved templates. The renderer
fills them, the fake Cloud API accepts exactly these (and refuses other names or parameter
counts as the real one does), and docs/whatsapp.md lists them for the office.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import yaml

PARAM = re.compile(r"\{\{(\d+)\}\}")


@dataclass(frozen=True)
class MessageTemplate:
    name: str
    category: str
    language: str
    body: str
    example: tuple[str, ...]
    quick_reply: str | None

    @property
    def parameters(self) -> int:
        return len(set(PARAM.findall(self.body)))

    def fill(self, values: tuple[str, ...]) -> str:
        """The body as the person reads it."""
        return PARAM.sub(lambda m: values[int(m.group(1)) - 1], self.body)


@lru_cache(maxsize=1)
def approved() -> dict[str, MessageTemplate]:
    source = files("templates").joinpath("whatsapp/message_templates.yaml").read_text("utf-8")
    out: dict[str, MessageTemplate] = {}
    for item in yaml.safe_load(source):
        template = MessageTemplate(
            name=item["name"],
            category=item["category"],
            language=item["language"],
            body=item["body"],
            example=tuple(str(e) for e in item.get("example", ())),
            quick_reply=item.get("quick_reply"),
        )
        numbers = sorted({int(n) for n in PARAM.findall(template.body)})
        if numbers != list(range(1, len(numbers) + 1)) or len(template.example) != len(numbers):
            raise ValueError(f"template {template.name}: parameters must be {{{{1}}}}..{{{{n}}}}")
        out[template.name] = template
    return out
