"""mypy over the packages, held to a baseline that may only shrink.

    python .ci/mypy_ratchet.py            # fail on errors beyond .ci/mypy-baseline.json
    python .ci/mypy_ratchet.py --update   # record the current errors as the baseline

The baseline counts errors per file and error code (line numbers move; counts do not), so a
failure names the file and the rule that got worse and prints those errors. ``semantic_layer``
is held to zero once its entries are gone from the baseline.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".ci" / "mypy-baseline.json"
TARGETS = ("semantic_layer", "chatbi", "dashboards")
_ERROR = re.compile(r"^(?P<file>[^:]+\.py):(?P<line>\d+): error: (?P<message>.*?)(?:\s+\[(?P<code>[a-z0-9-]+)\])?$")


def run_mypy() -> tuple[list[dict[str, str]], str]:
    proc = subprocess.run([sys.executable, "-m", "mypy", *TARGETS], cwd=ROOT, capture_output=True, text=True, check=False)
    errors = [m.groupdict() for m in map(_ERROR.match, proc.stdout.splitlines()) if m]
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not errors):
        sys.exit(f"mypy did not run: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return errors, proc.stdout


def counts(errors: list[dict[str, str]]) -> Counter[str]:
    return Counter(f"{e['file']} [{e['code'] or 'misc'}]" for e in errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="write the current errors as the baseline")
    args = parser.parse_args()
    errors, _ = run_mypy()
    now = counts(errors)
    if args.update:
        BASELINE.write_text(json.dumps(dict(sorted(now.items())), indent=1) + "\n", encoding="utf-8")
        print(f"baseline: {sum(now.values())} mypy errors in {len({k.split(' ')[0] for k in now})} files")
        return 0
    baseline = Counter(json.loads(BASELINE.read_text(encoding="utf-8")))
    worse = {key: (n, baseline.get(key, 0)) for key, n in now.items() if n > baseline.get(key, 0)}
    for key, (n, allowed) in sorted(worse.items()):
        file, code = key.split(" ")
        print(f"{file}: {n} mypy error(s) {code}, baseline allows {allowed}:")
        for e in errors:
            if e["file"] == file and f"[{e['code'] or 'misc'}]" == code:
                print(f"  {e['file']}:{e['line']}: {e['message']} [{e['code']}]")
    total, allowed = sum(now.values()), sum(baseline.values())
    print(f"mypy: {total} errors (baseline {allowed})")
    if not worse and total < allowed:
        print("  fewer than the baseline: record it with `python .ci/mypy_ratchet.py --update`")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
