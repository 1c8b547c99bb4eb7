"""How hostile SQL and a dripping model endpoint end under ChatBI's limits.

    python -m benchmarks.security_limits [--timeout 10]

Each statement runs through ``ChatBI.run_sql`` (guard, cost check, DuckDB under its default
limits) in a fresh process on the telecom sample, so elapsed time and peak memory (the
process's maximum resident set) are its own. The dripping LLM server sends one byte every
0.25 s with a per-question deadline of ``--deadline`` seconds.

Before this work (issue 15's red-team pass, 10 s statement timeout, 12 s LLM deadline): the
quadratic scalar ended after 61.9 s, the wide rows reached 4.1 GB resident, the cartesian
product ran the full 60 s, the dripping server held a question 265 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from ._common import print_table, write_result

STATEMENTS = {
    "quadratic scalar": "SELECT levenshtein(lpad('a', 100000, 'b'), lpad('c', 100000, 'd')) AS d",
    "quadratic scalar, 10 000 chars": "SELECT levenshtein(lpad('a', 10000, 'b'), lpad('c', 10000, 'd')) AS d",
    "slow scalar on every row": "SELECT SUM(levenshtein(lpad(r.city, 255, 'x'), lpad(r.province, 255, 'y'))) AS d "
                                "FROM fact_daily f JOIN dim_region r ON f.city_id = r.city_id",
    "wide rows": "SELECT lpad('x', 20000000, 'y') FROM fact_daily LIMIT 200",
    "cartesian product": "SELECT COUNT(*) FROM fact_daily a, fact_daily b, fact_daily c",
    "many-to-many join": "SELECT COUNT(*) FROM fact_daily a JOIN fact_daily b ON a.city_id = b.city_id",
    "ordinary query": "SELECT r.province, SUM(f.revenue) AS revenue FROM fact_daily f JOIN dim_region r "
                      "ON f.city_id = r.city_id GROUP BY 1 ORDER BY 2 DESC",
}

_SCRIPT = """
import json, resource, sys, time
from chatbi import ChatBI
from chatbi.api import sample_warehouse_path
from chatbi.warehouse import DuckDBEngine
from sample_data import TELECOM_MODEL
from semantic_layer import SemanticModel

bi = ChatBI(SemanticModel.from_yaml(TELECOM_MODEL), DuckDBEngine(sample_warehouse_path(), timeout_s=float(sys.argv[1])))
bi.run_sql("SELECT 1 AS warm")
start = time.monotonic()
answer = bi.run_sql(sys.argv[2])
print(json.dumps({"status": answer.status, "elapsed_s": time.monotonic() - start,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "says": (answer.text or "")[:90]}))
"""


def _statement(timeout: float, sql: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(timeout), sql], capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        return {"status": "crashed", "says": done.stderr.strip().splitlines()[-1][:90] if done.stderr else ""}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _dripping_llm(deadline: float) -> dict[str, Any]:
    sys.path.append("tests")  # the scripted OpenAI-protocol server of the test suite
    from servers.openai_stub import OpenAIStub, tool_reply

    from chatbi.translate.llm import LLMTranslator
    from sample_data import TELECOM_MODEL
    from semantic_layer import SemanticModel

    stub = OpenAIStub()
    try:
        reply = tool_reply("semantic_query", {"metrics": ["revenue"], "dimensions": ["province"]})
        stub.script(type(reply)(status=reply.status, body=reply.body, drip=0.25))
        tr = LLMTranslator(base_url=stub.base_url, api_key="sk-bench", model="stub", max_retries=0, timeout=5.0,
                           total_timeout=deadline)
        model = SemanticModel.from_yaml(TELECOM_MODEL)
        import datetime as dt

        start = time.monotonic()
        result = tr.translate_query("各省收入", model=model, anchor=dt.date(2025, 12, 31))
        elapsed = time.monotonic() - start
        for _ in range(100):  # the abandoned response lets go of the connection
            if stub.drips_cut:
                break
            time.sleep(0.1)
        return {"status": result.outcome, "elapsed_s": elapsed, "says": f"connection released: {bool(stub.drips_cut)}"}
    finally:
        stub.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=10.0, help="statement timeout in seconds")
    parser.add_argument("--deadline", type=float, default=12.0, help="LLM per-question deadline in seconds")
    args = parser.parse_args(argv)
    rows = []
    for name, sql in STATEMENTS.items():
        rows.append({"case": name, **_statement(args.timeout, sql)})
    rows.append({"case": "dripping LLM server", **_dripping_llm(args.deadline)})
    print_table(rows, ["case", "status", "elapsed_s", "peak_rss_mb", "says"])
    path = write_result("security_limits", {"timeout_s": args.timeout, "llm_deadline_s": args.deadline, "cases": rows})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
