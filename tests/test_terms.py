"""Agreement terms: amounts typed as people type them, and what a period is paid on each basis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.agreement_terms import parse_amount
from handlers.parsing import InputError
from storage.models import Agreement
from workflow import terms
from workflow.documents import rupiah
from workflow.records import Terms


@given(st.integers(min_value=0, max_value=10**12))
def test_an_amount_reads_back_however_it_is_written(value: int) -> None:
    for text in (str(value), rupiah(value), f"Rp {rupiah(value)[2:]}", f"{rupiah(value)},-"):
        assert parse_amount(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,5 juta", 1_500_000), ("375rb", 375_000), ("2 jt", 2_000_000), ("1.500.000", 1_500_000)],
)
def test_spoken_amounts(text: str, value: int) -> None:
    assert parse_amount(text) == value


@given(st.text(max_size=12).filter(lambda t: not t.strip().isdigit()))
def test_anything_else_is_refused_or_a_whole_number(text: str) -> None:
    try:
        assert parse_amount(text) >= 0
    except InputError as error:
        assert "angka" in error.message


@pytest.mark.parametrize("text", ["1,5", "1.50.000", "dua", "-3", "1,2345678 ribu", ""])
def test_ambiguous_amounts_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_amount(text)


@given(
    st.integers(min_value=1, max_value=100),
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=120),
)
def test_a_period_is_paid_at_most_its_value(news: int, per_period: int, counted: int) -> None:
    by_period = Terms(3, news, "bulan", per_period // news, tariff_per_period=per_period)
    by_item = Terms(3, news, "bulan", per_period // news)
    assert 0 <= by_period.due_for(counted) <= by_period.per_period
    assert by_period.due_for(news) == per_period  # the agreed count is paid in full
    assert by_item.due_for(counted) == min(counted, news) * (per_period // news)
    assert by_period.total == 3 * per_period


def test_a_total_is_split_evenly_over_the_periods() -> None:
    deal = Agreement(periods=3, news_per_period=4, period_label="bulan")
    terms.apply_term(deal, "total", 4_500_000)
    assert (deal.tariff_per_period, deal.tariff_per_item) == (1_500_000, None)
    with pytest.raises(terms.TermsRefused) as refused:
        terms.apply_term(deal, "total", 4_500_001)
    assert refused.value.code == "total_split"
    with pytest.raises(terms.TermsRefused):
        terms.apply_term(deal, "periods", 25)
    terms.apply_term(deal, "tariff_per_item", 400_000)
    assert (deal.tariff_per_period, deal.tariff_per_item) == (None, 400_000)
