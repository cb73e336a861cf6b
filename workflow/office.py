"""How a visitor finds the office: its contact from the SOP's `office:`, as data for templates."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.spec import OfficeHours, SopSpec

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class HoursSpan:
    """Consecutive weekdays (0 = Monday) sharing the same opening hours."""

    first: int
    last: int
    opens: str  # "07.30": the Indonesian dot
    closes: str


def hours_spans(hours: OfficeHours) -> list[HoursSpan]:
    """The working calendar's hours, grouped: Mon–Thu 07.30–16.00, Fri 07.30–16.30. Used when
    the SOP gives no hours_text, so the bot never shows hours other than those it counts by."""
    spans: list[HoursSpan] = []
    for index, day in enumerate(DAYS):
        span = getattr(hours, day)
        if span is None:
            continue
        opens, closes = (t.replace(":", ".") for t in span)
        last = spans[-1] if spans else None
        if last and last.last == index - 1 and (last.opens, last.closes) == (opens, closes):
            spans[-1] = HoursSpan(last.first, index, opens, closes)
        else:
            spans.append(HoursSpan(index, index, opens, closes))
    return spans


def contact(spec: SopSpec) -> dict[str, object]:
    """What templates/messages/_office.html.j2 shows; `desk` is whom to ask when the address is
    not recorded (the role that answers "Tanya petugas")."""
    office = spec.office
    return {
        "name": office.name,
        "address": office.address,
        "hours_text": office.hours_text,
        "hours": hours_spans(office.hours),
        "phone": office.phone,
        "whatsapp": office.whatsapp,
        "whatsapp_url": office.whatsapp_url,
        "email": office.email,
        "map_url": office.map_url,
        "desk": spec.role_name(spec.desk_role) if spec.desk_role else "",
    }
