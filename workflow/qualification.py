"""What an outlet still owes under the office's rules, when its papers lapse, and its grade.

Pure functions over an `OutletFacts` snapshot, so the registration wizard, the registry
commands, the reminders and the property tests all apply the same rules.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workflow.loader_qualification import SWORN_DOCUMENT
from workflow.spec_qualification import DewanPers, GradeCondition, GradeRule, Qualification

_UKW_RANK = {"muda": 1, "madya": 2, "utama": 3}


@dataclass(frozen=True)
class OutletFacts:
    media_type: str
    fields: dict[str, Any] = field(
        default_factory=dict
    )  # OutletField name -> value (None: not given)
    documents: dict[str, date | None] = field(
        default_factory=dict
    )  # key -> expires_on (None: never)


def add_months(day: date, months: int) -> date:
    """Same day `months` later (the 31st becomes the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry(rules: Qualification, document: str, given_on: date) -> date | None:
    """When a paper issued on `given_on` lapses (None: the rules give it no validity)."""
    rule = rules.documents.get(document)
    if rule is None or rule.valid_months is None:
        return None
    return add_months(given_on, rule.valid_months)


def registration_expiry(rules: Qualification, registered_on: date) -> date:
    return add_months(registered_on, rules.registration_valid_months)


def _given(value: Any) -> bool:
    return value is not None and value != ""


def _valid(facts: OutletFacts, document: str, today: date) -> bool:
    if document not in facts.documents:
        return False
    expires = facts.documents[document]
    return expires is None or expires > today


def missing(rules: Qualification, facts: OutletFacts, today: date) -> list[str]:
    """Required items (documents and facts) not given, or given but lapsed, in the asked order."""
    out: list[str] = []
    for name in rules.required(facts.media_type):
        if rules.is_document(name):
            if not _valid(facts, name, today):
                out.append(name)
        elif not _given(facts.fields.get(name)):
            out.append(name)
    return out


def holds(rules: Qualification, condition: GradeCondition, facts: OutletFacts, today: date) -> bool:
    status = facts.fields.get("dewan_pers")
    if condition is GradeCondition.dewan_pers_faktual:
        return status == DewanPers.faktual.value
    if condition is GradeCondition.dewan_pers_administrasi:
        return status == DewanPers.administrasi.value
    if condition is GradeCondition.dewan_pers_proses:
        return status == DewanPers.proses.value
    if condition is GradeCondition.sworn_statement:
        return _valid(facts, SWORN_DOCUMENT, today)
    if condition is GradeCondition.documents_complete:
        return not [n for n in missing(rules, facts, today) if rules.is_document(n)]
    if condition is GradeCondition.fields_complete:
        return not [n for n in missing(rules, facts, today) if not rules.is_document(n)]
    ukw = _UKW_RANK.get(str(facts.fields.get("chief_editor_ukw") or ""), 0)
    if condition is GradeCondition.ukw_utama:
        return ukw >= 3
    if condition is GradeCondition.ukw_madya:
        return ukw >= 2
    # publishing_enough
    media = rules.rules_for(facts.media_type)
    needed = media.min_publishing_months if media else 0
    months = facts.fields.get("publishing_months")
    return needed == 0 or (isinstance(months, int) and months >= needed)


def rule_holds(rules: Qualification, rule: GradeRule, facts: OutletFacts, today: date) -> bool:
    if not all(holds(rules, c, facts, today) for c in rule.all):
        return False
    return not rule.any or any(holds(rules, c, facts, today) for c in rule.any)


def grade(rules: Qualification, facts: OutletFacts, today: date) -> str | None:
    """The first grade whose conditions hold (None: no rule holds, or no grades defined)."""
    for rule in rules.grades:
        if rule_holds(rules, rule, facts, today):
            return rule.grade
    return None


def accepted(rules: Qualification, facts: OutletFacts, today: date) -> bool:
    """May this outlet partner: its grade is one the rules accept (no accept_grades: any)."""
    return not rules.accept_grades or grade(rules, facts, today) in rules.accept_grades


def _unmet(
    rules: Qualification, rule: GradeRule, facts: OutletFacts, today: date
) -> list[str | tuple[str, ...]]:
    """What `rule` still needs: the missing items behind documents/fields_complete, each other
    condition that fails, and an `any` group that none of holds (as a tuple: one of them)."""
    out: list[str | tuple[str, ...]] = []
    owed = missing(rules, facts, today)
    for condition in rule.all:
        if holds(rules, condition, facts, today):
            continue
        if condition is GradeCondition.documents_complete:
            out += [n for n in owed if rules.is_document(n) and n not in out]
        elif condition is GradeCondition.fields_complete:
            out += [n for n in owed if not rules.is_document(n) and n not in out]
        else:
            out.append(condition.value)
    if rule.any and not any(holds(rules, c, facts, today) for c in rule.any):
        out.append(tuple(c.value for c in rule.any))
    return out


def short_of(
    rules: Qualification, facts: OutletFacts, today: date
) -> tuple[str, list[str | tuple[str, ...]]] | None:
    """The accepted grade nearest to reach and what it still needs (None: already accepted).
    Items are qualification item keys or grade condition keys; a tuple means one of them."""
    if accepted(rules, facts, today):
        return None
    options = [
        (rule.grade, _unmet(rules, rule, facts, today))
        for rule in rules.grades
        if rule.grade in rules.accept_grades
    ]
    # Fewest things to do; on a tie the lower grade (the rules list the best first), the one
    # an outlet reaches sooner (e.g. a sworn statement before a factual verification).
    return min(reversed(options), key=lambda o: len(o[1])) if options else None
