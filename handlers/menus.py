"""Command menus per kind of user (setMyCommands with a chat scope); the descriptions are in
templates/messages/commands.txt.j2."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from handlers.replies import SetCommands
from workflow import wording

GUEST = ("start", "bantuan")
JOURNALIST = ("ajukan", "status", "berita", "tanya", "datasaya", "batal", "bantuan")
OFFICIAL = ("tugas", "batal", "bantuan")
REPORT = "laporan"
# A menu hint only: who may manage officials is the SOP's manager_roles, checked on every use.
MANAGER_ROLES = ("kadis", "admin")
STAFF = "petugas"


def commands_for(
    chat_id: int, roles: set[str], journalist: bool, report_roles: Collection[str]
) -> SetCommands:
    """``report_roles``: the SOP's roles that may ask for /laporan (heads of office)."""
    names: list[str] = []
    if roles:
        names += OFFICIAL
    if roles & set(report_roles):
        names.insert(1, REPORT)
    if roles & set(MANAGER_ROLES):
        names.insert(1, STAFF)
    if journalist:
        names = [c for c in JOURNALIST if c not in names] + names
    return SetCommands(_described(dict.fromkeys(names or GUEST)), chat_id)


def default_commands() -> SetCommands:
    return SetCommands(_described(GUEST), None)


def _described(names: Sequence[str] | dict[str, None]) -> tuple[tuple[str, str], ...]:
    return tuple((name, wording.phrase("commands", name)) for name in names)
