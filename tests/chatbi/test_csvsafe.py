"""chatbi.csvsafe: every CSV ChatBI hands out opens in a spreadsheet as data, never as formulas."""

from __future__ import annotations

import pandas as pd
import pytest

from chatbi.csvsafe import FORMULA_STARTS, neutralize, to_csv


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_formula_start_is_neutralised(start: str) -> None:
    assert neutralize(start + "cmd|' /C calc'!A0") == "'" + start + "cmd|' /C calc'!A0"


def test_text_numbers_dates_and_missing_values() -> None:
    frame = pd.DataFrame({"=h": ["a", None, "-x"], "n": [-1, 2, 3], "d": pd.to_datetime(["2025-01-01"] * 3)})
    lines = to_csv(frame).splitlines()
    assert lines == ["'=h,n,d", "a,-1,2025-01-01", ",2,2025-01-01", "'-x,3,2025-01-01"]
    assert list(frame.columns) == ["=h", "n", "d"] and frame.iloc[2, 0] == "-x"  # the frame itself is untouched


def test_the_cli_prints_neutralised_csv(sample_bi, capsys) -> None:
    from chatbi.cli import print_answer

    answer = sample_bi.run_sql("SELECT '=1+1' AS f, city FROM dim_region ORDER BY city_id LIMIT 1")
    assert print_answer(answer, fmt="csv") == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("'=1+1,")
