"""Callback data: short, versioned, typed (`v1:<op>:<id>[:<arg>]`), never trusted.

Only ids travel in a button; every press is re-checked on the server (role, task state).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

VERSION = "v1"
MAX_BYTES = 64
_ARG = re.compile(r"^[a-z0-9_]{0,16}$")


class Op(StrEnum):
    act = "a"  # take an action on a task
    confirm = "k"  # confirm all kelengkapan, then take the action
    check = "c"  # toggle one kelengkapan item
    docs = "d"  # re-send the case's documents
    note = "n"  # write a disposition note
    attach = "f"  # attach a file to the case
    back = "b"  # redraw the task prompt
    resubmit = "r"  # send a returned request back
    news = "w"  # start sending a news item
    kind = "m"  # registration: media type
    skip = "x"  # skip an optional step of a wizard
    cancel = "z"  # cancel the current dialogue
    yes = "y"  # "Ya" to an action's confirm: question (what was asked is in the conversation)
    no = "q"  # "Batal" to that question: nothing is taken, the prompt comes back
    sheet = "s"  # the case's disposition sheet (PDF), as of now
    upload = "u"  # upload an edited .docx as the next version of the MoU/PKS draft
    revoke = "p"  # /petugas: take a role (arg) from an official (id)
    uninvite = "i"  # /petugas: cancel a pending invite (id)
    undelegate = "g"  # /petugas: end a deputy's (Plh/Plt) delegation early (id)
    report = "l"  # /laporan: the period (arg: bulan_ini, bulan_lalu, tahun_ini)
    answer = "t"  # "Balas" to a journalist's question (id: her user id)
    terms = "e"  # the agreement's terms at the drafting step (task id; arg: the term, or "ok")
    late = "h"  # count a late news item in the claim after all (news id), with a typed reason
    unpaid = "j"  # "Belum diterima" at the payment step (task id): the desk is told, it waits
    spj_signed = "v"  # the desk marks the period's SPJ signed (case id, arg: the period)
    outlet = "o"  # registration: join the outlet (id), or register a new one (0)
    pick = "V"  # registration: the value (arg) of a multiple-choice outlet fact
    later = "N"  # registration: "Nanti saja", keep what was given and stop for now
    evaluate = "E"  # the evaluation form of a task (id): open, or y/n/c + criterion index
    change = "X"  # admin: confirm (arg "ok") or refuse a journalist's outlet change (id)
    checklist = "C"  # a prompt's kelengkapan, opened (toggles and "« Kembali")
    details = "T"  # a prompt's full SOP text (activity, output, notes)
    older = "O"  # /status: a case's older history (id = case, arg = page)


@dataclass(frozen=True)
class Callback:
    op: Op
    id: int = 0
    arg: str = ""

    def pack(self) -> str:
        data = f"{VERSION}:{self.op.value}:{self.id}"
        if self.arg:
            data += f":{self.arg}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data too long: {data!r}")
        return data


def unpack(data: str) -> Callback | None:
    """None for anything we did not make (old versions, forged data)."""
    parts = data.split(":")
    if len(parts) not in (3, 4) or parts[0] != VERSION:
        return None
    try:
        op = Op(parts[1])
        ident = int(parts[2])
    except ValueError:
        return None
    arg = parts[3] if len(parts) == 4 else ""
    if ident < 0 or not _ARG.match(arg):
        return None
    return Callback(op, ident, arg)
