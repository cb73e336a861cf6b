"""Command menus per kind of user (setMyCommands with a chat scope); the descriptions are in
templates/messages/commands.txt.j2."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.outlet_lapsing import desk_roles
from handlers.platforms import Chat
from handlers.replies import SetCommands
from workflow import wording
from workflow.spec import SopSpec

GUEST = ("start", "bantuan")
JOURNALIST = (
    "ajukan",
    "status",
    "berita",
    "tanya",
    "media",
    "perpanjang",
    "datasaya",
    "tautkan",
    "batal",
    "bantuan",
)
OFFICIAL = ("tugas", "tautkan", "batal", "bantuan")
REPORT = "laporan"
STAFF = "petugas"
AGENDA = "agenda"
LAPSING = "kedaluwarsa"


def commands_for(chat: Chat, roles: set[str], journalist: bool, spec: SopSpec) -> SetCommands:
    """The menu of one chat. Who sees /laporan, /agenda, /kedaluwarsa and /petugas is the
    SOP's data (report_roles, records_roles, reports_to, manager_roles), the same lists every
    use of those commands is checked against."""
    names: list[str] = []
    if roles:
        names += OFFICIAL
    if roles & (set(spec.report_roles) | set(spec.records_roles)):
        names.insert(1, AGENDA)
    if roles & desk_roles(spec):
        names.insert(1, LAPSING)
    if roles & set(spec.report_roles):
        names.insert(1, REPORT)
    if roles & set(spec.manager_roles):
        names.insert(1, STAFF)
    if journalist:
        names = [c for c in JOURNALIST if c not in names] + names
    return SetCommands(_described(dict.fromkeys(names or GUEST)), chat.id, chat.platform)


def role_extras(menu: SetCommands) -> tuple[tuple[str, str], ...]:
    """The commands an official's roles add to /tugas and /batal (/laporan, /agenda, /petugas),
    so the written menu offers what the command menu does."""
    return tuple((name, what) for name, what in menu.commands if name not in OFFICIAL)


def default_commands() -> SetCommands:
    return SetCommands(_described(GUEST), None)


def _described(names: Sequence[str] | dict[str, None]) -> tuple[tuple[str, str], ...]:
    return tuple((name, wording.phrase("commands", name)) for name in names)
