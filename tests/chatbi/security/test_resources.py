"""Resource limits hold for SQL a person or a model writes (measured in a fresh process each).

The statement timeout must hold for a slow scalar (``levenshtein`` over long strings runs to its
end whatever the timeout says: the guard bounds it), a wide-row query must neither run long
nor grow the process past DuckDB's memory cap, and a cartesian product of fact tables is
refused before it runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT_S = 3.0
#: the engine's default DuckDB memory_limit (DuckDBLimits.memory_limit)
MEMORY_CAP_MB = 2048

_SCRIPT = """
import json, resource, sys, time
from chatbi import ChatBI
from chatbi.warehouse import DuckDBEngine
from sample_data import TELECOM_MODEL
from semantic_layer import SemanticModel

bi = ChatBI(SemanticModel.from_yaml(TELECOM_MODEL), DuckDBEngine(sys.argv[1], timeout_s=float(sys.argv[2])))
bi.run_sql("SELECT 1 AS warm")
start = time.monotonic()
answer = bi.run_sql(sys.argv[3])
elapsed = time.monotonic() - start
print(json.dumps({"status": answer.status, "text": answer.text, "elapsed": elapsed,
                  "rows": None if answer.data is None else len(answer.data),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_alone(sample_db_path: Path, sql: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(sample_db_path), str(TIMEOUT_S), sql],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize(("name", "sql", "expected"), [
    ("quadratic scalar", "SELECT levenshtein(lpad('a', 100000, 'b'), lpad('c', 100000, 'd')) AS d",
     "at most 10000 characters"),
    ("quadratic scalar, bounded strings", "SELECT levenshtein(lpad('a', 10000, 'b'), lpad('c', 10000, 'd')) AS d",
     "at most 255 characters"),
    ("slow scalar on every row", "SELECT SUM(levenshtein(lpad(r.city, 255, 'x'), lpad(r.province, 255, 'y'))) AS d "
     "FROM fact_daily f JOIN dim_region r ON f.city_id = r.city_id", f"longer than {TIMEOUT_S:g} s"),
    ("wide rows", "SELECT lpad('x', 20000000, 'y') FROM fact_daily LIMIT 200", "at most 10000 characters"),
    ("cartesian product", "SELECT COUNT(*) FROM fact_daily a, fact_daily b, fact_daily c", "without a join condition"),
])
def test_hostile_statements_end_in_time_and_under_the_memory_cap(sample_db_path: Path, name: str, sql: str,
                                                                 expected: str) -> None:
    out = run_alone(sample_db_path, sql)
    assert out["status"] == "error" and expected in out["text"], out
    assert out["elapsed"] < 2 * TIMEOUT_S, f"{name}: {out['elapsed']:.1f} s with a {TIMEOUT_S} s timeout"
    assert out["maxrss_mb"] < MEMORY_CAP_MB, f"{name}: {out['maxrss_mb']:.0f} MB"


@pytest.mark.slow
def test_a_cartesian_product_is_refused_before_it_runs(sample_db_path: Path) -> None:
    out = run_alone(sample_db_path, "SELECT COUNT(*) FROM fact_daily a, fact_daily b, fact_daily c")
    assert out["elapsed"] < TIMEOUT_S / 2, out  # planned, not run: a run would take the whole timeout
