"""What people type: every input either parses to a clean value or is refused in Indonesian."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from handlers import parsing
from handlers.parsing import InputError

TODAY = date(2026, 11, 23)


@st.composite
def valid_niks(draw: st.DrawFn) -> str:
    province = draw(st.integers(11, 94))
    region = draw(st.integers(0, 9999))
    birth = draw(st.dates(date(1940, 1, 1), date(2010, 12, 31)))
    female = draw(st.booleans())
    serial = draw(st.integers(1, 9999))
    day = birth.day + (40 if female else 0)
    return f"{province:02d}{region:04d}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


@given(valid_niks(), st.sampled_from(["", " ", ".", "-"]))
def test_a_real_nik_parses_whatever_the_separators(nik: str, sep: str) -> None:
    spaced = sep.join([nik[:4], nik[4:8], nik[8:12], nik[12:]])
    assert parsing.nik(spaced) == nik


@given(st.text(max_size=40))
def test_anything_else_is_refused_with_a_reason_not_a_crash(text: str) -> None:
    try:
        value = parsing.nik(text)
    except InputError as error:
        assert "NIK" in error.message
    else:
        assert len(value) == 16 and value.isdigit()


@given(st.from_regex(r"\d{16}", fullmatch=True))
def test_sixteen_digits_with_an_impossible_birth_date_are_refused(digits: str) -> None:
    day, month = int(digits[6:8]), int(digits[8:10])
    assume(not (1 <= (day - 40 if day > 40 else day) <= 31 and 1 <= month <= 12))
    with pytest.raises(InputError):
        parsing.nik(digits)


@given(
    st.integers(8, 12).flatmap(lambda n: st.from_regex(rf"8\d{{{n}}}", fullmatch=True)),
    st.sampled_from(["0", "62", "+62", "+62 "]),
)
def test_phone_numbers_normalise_to_plus_62(rest: str, prefix: str) -> None:
    assert parsing.phone(prefix + rest) == "+62" + rest


@given(st.text(max_size=30))
def test_phone_never_crashes(text: str) -> None:
    try:
        value = parsing.phone(text)
    except InputError:
        return
    assert value.startswith("+62") and value[1:].isdigit()


@given(st.dates(TODAY - timedelta(days=366), TODAY), st.sampled_from(["-", "/", "."]))
def test_past_dates_parse_in_indonesian_order(day: date, sep: str) -> None:
    text = f"{day.day}{sep}{day.month}{sep}{day.year}"
    assert parsing.published_date(text, TODAY) == day


@given(st.dates(TODAY + timedelta(days=1), date(2030, 1, 1)))
def test_future_dates_are_refused(day: date) -> None:
    with pytest.raises(InputError, match="masa depan"):
        parsing.published_date(day.strftime("%d-%m-%Y"), TODAY)


@given(st.text(max_size=30))
def test_date_input_never_crashes(text: str) -> None:
    try:
        value = parsing.published_date(text, TODAY)
    except InputError:
        return
    assert TODAY - timedelta(days=366) <= value <= TODAY


def test_words_for_today_and_yesterday() -> None:
    assert parsing.published_date("Hari ini", TODAY) == TODAY
    assert parsing.published_date("kemarin", TODAY) == TODAY - timedelta(days=1)
    with pytest.raises(InputError, match="tidak ada di kalender"):
        parsing.published_date("31-02-2026", TODAY)


@given(st.from_regex(r"[a-z][a-z0-9-]{1,20}\.(id|com|co\.id|net)", fullmatch=True))
def test_bare_domains_become_https_urls(domain: str) -> None:
    assert parsing.website(domain) == f"https://{domain}"


@given(st.text(max_size=60))
def test_website_and_news_url_never_crash(text: str) -> None:
    for check in (parsing.website, parsing.news_url):
        try:
            value = check(text)
        except InputError:
            continue
        assert value.startswith(("http://", "https://", "@")) and " " not in value


@given(
    slot=st.sampled_from(sorted(parsing.SLOTS)),
    mime=st.one_of(
        st.none(),
        st.sampled_from(
            ["application/pdf", "image/png", "text/plain", "application/x-msdownload", "image/jpeg"]
        ),
    ),
    name=st.one_of(st.none(), st.sampled_from(["a.pdf", "b.exe", "c.PNG", "d", "e.docx"])),
    size=st.one_of(st.none(), st.integers(0, 30 * 1048576)),
)
def test_upload_type_accepts_only_what_the_slot_takes(slot, mime, name, size) -> None:
    limit = 10 * 1048576
    try:
        accepted = parsing.upload_type(slot, mime, name, size, limit)
    except InputError as error:
        assert "Kirim" in error.message or "terlalu besar" in error.message
        return
    assert accepted in parsing.SLOTS[slot][0]
    assert size is None or size <= limit


def test_renamed_executable_is_not_a_pdf() -> None:
    from handlers.filecheck import judge

    with pytest.raises(parsing.InputError, match="konten aktif"):
        judge(b"MZ\x90\x00" + b"\x00" * 300, "kartu.pdf", {"application/pdf"}, "PDF")
    assert judge(b"%PDF-1.7", "kartu.pdf", {"application/pdf"}, "PDF") == "application/pdf"


def test_a_pdf_sent_as_octet_stream_is_judged_by_its_name_then_its_bytes() -> None:
    limit = 10 * 1048576
    mime = parsing.upload_type("press_card", "application/octet-stream", "KARTU.PDF", 10, limit)
    assert mime == "application/pdf"
    with pytest.raises(InputError):
        parsing.upload_type("press_card", "application/octet-stream", "kartu.bin", 10, limit)
