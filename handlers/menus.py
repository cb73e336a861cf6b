"""Command menus per kind of user (setMyCommands with a chat scope)."""

from __future__ import annotations

from handlers.replies import SetCommands

GUEST = (("start", "Daftar / mulai"), ("bantuan", "Bantuan"))
JOURNALIST = (
    ("ajukan", "Ajukan permohonan kerja sama"),
    ("status", "Status permohonan Anda"),
    ("berita", "Kirim berita yang sudah tayang"),
    ("media", "Data media Anda dan pindah media"),
    ("perpanjang", "Perpanjang pendaftaran media tahunan"),
    ("datasaya", "Data pribadi Anda: lihat, unduh, minta hapus"),
    ("batal", "Batalkan isian yang berjalan"),
    ("bantuan", "Bantuan"),
)
OFFICIAL = (
    ("tugas", "Tugas terbuka Anda"),
    ("batal", "Batalkan isian yang berjalan"),
    ("bantuan", "Bantuan"),
)


HEAD_ROLES = ("kadis", "sekretaris", "kabid", "kasi")  # who may ask for /laporan
REPORT = ("laporan", "Laporan kepatuhan waktu SOP")
# A menu hint only: who may manage officials is the SOP's manager_roles, checked on every use.
MANAGER_ROLES = ("kadis", "admin")
STAFF = ("petugas", "Kelola petugas dan undangan")


def commands_for(chat_id: int, roles: set[str], journalist: bool) -> SetCommands:
    commands: list[tuple[str, str]] = []
    if roles:
        commands += OFFICIAL
    if roles & set(HEAD_ROLES):
        commands.insert(1, REPORT)
    if roles & set(MANAGER_ROLES):
        commands.insert(1, STAFF)
    if journalist:
        commands = [c for c in JOURNALIST if c not in commands] + commands
    seen: dict[str, str] = {}
    for name, text in commands or GUEST:
        seen.setdefault(name, text)
    return SetCommands(tuple(seen.items()), chat_id)


def default_commands() -> SetCommands:
    return SetCommands(GUEST, None)
