"""``chatbi report`` and ``chatbi reports ...``: files written, errors as one line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chatbi.cli import main
from sample_data import TELECOM_DIR, TELECOM_MODEL


@pytest.fixture()
def sample_args(sample_db_path: Path) -> list[str]:
    return ["--model", str(TELECOM_MODEL), "--database", str(sample_db_path)]


def test_report_to_html(sample_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "review.html"
    code = main(["report", *sample_args, "--spec", "monthly_review", "--period", "2025-11", "--lang", "en",
                 "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert printed.out.startswith(f"{out}: Monthly business review · Nov 2025 (8 sections")
    assert "Guangdong × 5G × online" in printed.out
    html = out.read_text(encoding="utf-8")
    assert "<title>Monthly business review · Nov 2025</title>" in html and "ARPU trend of 5G plans" in html


def test_a_report_for_one_province(sample_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "guangdong.html"
    code = main(["report", *sample_args, "--spec", "monthly_review", "--period", "2025-11", "--scope", "province=广东",
                 "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert printed.out.startswith(f"{out}: 广东月度经营分析报告 · 2025年11月 (8 sections")
    html = out.read_text(encoding="utf-8")
    assert "<h1>广东月度经营分析报告</h1>" in html and "收入：按城市" in html and "江苏" not in html


def test_report_errors_are_one_line(sample_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = [(["--spec", "monthly_reveiw"], "Did you mean 'monthly_review'?"),
             (["--period", "2025-11-05"], "this report covers one month"),
             (["--period", "2026-03"], "no data for 2026-03-01..2026-03-31 yet: the data ends 2025-12-31"),
             (["--out", str(tmp_path / "r.docx")], "use a .html or .pdf file name"),
             (["--scope", "provnce=广东"], "no dimension 'provnce' to scope a report by Did you mean 'province'?"),
             (["--scope", "province=Guangdongg"], "no province called 'Guangdongg' Did you mean 'Guangdong'"),
             (["--scope", "广东"], "'广东' is not DIMENSION=MEMBER[,MEMBER] Did you mean 'province=Guangdong'?")]
    for extra, message in cases:
        assert main(["report", *sample_args, *extra]) == 1
        err = capsys.readouterr().err
        assert err.startswith("chatbi: error:") and message in err and "Traceback" not in err, err


def test_reports_check_names_file_line_and_fix(sample_args: list[str], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reports", "check", *sample_args]) == 0
    assert "ok: monthly_review: 8 sections, 1 schedule(s)" in capsys.readouterr().out
    doc = yaml.safe_load((TELECOM_DIR / "reports" / "monthly_review.yaml").read_text(encoding="utf-8"))
    doc["sections"][2]["metric"] = "revenu"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert main(["reports", "check", *sample_args, str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: line " in err and "sections[2].metric: unknown metric 'revenu'" in err
    assert "Did you mean 'revenue'?" in err


def test_reports_list(sample_args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reports", "list", *sample_args]) == 0
    out = capsys.readouterr().out
    assert out.startswith("default: 电信运营经营分析报告 (one month; 5 sections; generated from the model)")
    assert "schedule executives: '0 9 2 * *' Asia/Shanghai -> ceo-office@example.com" in out
