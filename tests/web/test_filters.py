"""Danish number and time formats of the pages."""

from __future__ import annotations

import pytest

from vidensbank.web.filters import danish_number, local_time, result_count


@pytest.mark.parametrize(
    ("stamp", "shown"),
    [
        ("2026-12-01T23:12:00Z", "2. december 2026 kl. 00.12"),  # the query log's form
        ("2026-07-01T10:00:00+00:00", "1. juli 2026 kl. 12.00"),  # summer time; the store's
        ("2026-03-29T00:30:00", "29. marts 2026 kl. 01.30"),  # naive: stored as UTC
        ("ikke en tid", "ikke en tid"),
    ],
)
def test_stored_times_are_shown_on_the_danish_clock(stamp: str, shown: str) -> None:
    assert local_time(stamp) == shown


def test_numbers_use_danish_separators() -> None:
    assert danish_number(12345) == "12.345"
    assert result_count(1, 40) == "1 resultat (0,04 sek.)"
    assert result_count(2000, 1234) == "2.000 resultater (1,23 sek.)"
    assert result_count(3, 0.4) == "3 resultater (under 0,01 sek.)"
    assert result_count(3, 5) == "3 resultater (0,01 sek.)"
