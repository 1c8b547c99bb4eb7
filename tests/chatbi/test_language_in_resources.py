"""Words a person reads live in catalog and resource files, not in Python string literals.

Modules listed here have been moved onto ``chatbi/messages`` (sentences) or the translator's
``resources/`` (grammar words); this keeps them there. Comments and docstrings may quote examples.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")  # ideographs: words (full-width punctuation is normalised)
MODULES = [
    "chatbi/narrative.py",
    "chatbi/analysis/narrative.py",
    "chatbi/analysis/drivers.py",
    "chatbi/charts/numbers.py",
    "chatbi/charts/formatting.py",
    "chatbi/charts/layout.py",
    "chatbi/charts/tables.py",
    "chatbi/charts/figures.py",
    "chatbi/charts/special.py",
    "chatbi/charts/frames.py",
    "chatbi/analysis/detect.py",
    "chatbi/analysis/correlation.py",
    "chatbi/analysis/explain.py",
    "chatbi/analysis/periods.py",
    "chatbi/translate/timeparse.py",
    "chatbi/translate/llm_result.py",
    "chatbi/translate/grammar.py",
    "chatbi/translate/scan.py",
    "chatbi/translate/normalize.py",
    "chatbi/translate/clarify.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "chatbi" / "reports").rglob("*.py")),
]


#: literals that are not words for people: input formats the API accepts, like ISO dates
ALLOWED = {
    # parse_period("2025年11月"), ("2025年"), ("2025-01..2025-03" / "2025-01至2025-03"): date formats
    ("chatbi/analysis/periods.py", r"^(\d{4})[-/.年](\d{1,2})月?$"),
    ("chatbi/analysis/periods.py", r"^(\d{4})年?$"),
    ("chatbi/analysis/periods.py", r"^(.+?)\s*(?:\.\.|/| to |至|~)\s*(.+)$"),
    # the bounds of the Unicode blocks is_cjk tests
    *(("chatbi/translate/normalize.py", bound) for bound in ("\u3400", "\u4dbf", "\u4e00", "\u9fff")),
}


def literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


@pytest.mark.parametrize("module", MODULES)
def test_no_chinese_words_in_string_literals(module):
    found = [f"{module}:{line}: {text!r}" for line, text in literals(ROOT / module)
             if CJK.search(text) and (module, text) not in ALLOWED]
    assert found == [], "move these to chatbi/messages/*.yaml or chatbi/translate/resources/*.yaml"


def test_the_check_finds_a_literal(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text('"""文档"""\nX = "上升"  # 注释\n', encoding="utf-8")
    assert [text for _, text in literals(sample) if CJK.search(text)] == ["上升"]
