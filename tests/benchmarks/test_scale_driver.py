"""The scale benchmark's driver times queries on the warehouse, never answers from ChatBI's result cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks._scale_driver import QUERIES, chatbi_options, check_uncached
from chatbi import ChatBI
from sample_data import TELECOM_MODEL

QUERY = QUERIES["province_month"]


def test_the_driver_switches_the_result_cache_off(sample_db_path: Path) -> None:
    bi = ChatBI(TELECOM_MODEL, sample_db_path, translator="offline", **chatbi_options(ChatBI))
    try:
        first = bi.query(**QUERY)  # type: ignore[arg-type]
        repeat = bi.query(**QUERY)  # type: ignore[arg-type]
        assert first.status == repeat.status == "ok"
        check_uncached("province_month", repeat)  # a repeat ran on the warehouse
        assert not bi.result_cache.enabled
        assert bi.result_cache.hits == 0
    finally:
        bi.close()


def test_an_answer_from_the_result_cache_fails_the_run(sample_db_path: Path) -> None:
    bi = ChatBI(TELECOM_MODEL, sample_db_path, translator="offline", result_cache=True)
    try:
        bi.query(**QUERY)  # type: ignore[arg-type]
        repeat = bi.query(**QUERY)  # type: ignore[arg-type]
        with pytest.raises(SystemExit, match="result cache"):
            check_uncached("province_month", repeat)
    finally:
        bi.close()
