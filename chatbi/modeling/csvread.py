"""CSV files as people have them: the encoding found, the structure checked, problems with line numbers.

Excel in a Chinese locale saves CSV as GBK (GB18030), sometimes UTF-8 with a BOM; a hand-edited
file may have a row with a field too few, a quote never closed, or ``n/a`` in a column of
numbers. DuckDB's reader stops at the first byte it cannot decode ("CSV Error on Line: 1") and
reads the rest by guessing (a ragged file becomes one text column; a number column with one word
in it becomes text), so :func:`prepare_csv` reads the file first:

* the encoding: a BOM, else UTF-8 if the whole file decodes, else what ``charset-normalizer``
  finds (GBK / GB2312 are read as their superset GB18030). A file that is not UTF-8 is copied
  once, as UTF-8, into the ChatBI cache (keyed by path, size and modification time) and DuckDB
  reads the copy; every message names the encoding it was read with;
* the structure, with Python's ``csv`` module (exact line numbers, quotes across lines): an empty
  file, a header without rows, rows whose field count differs from the header's, an unclosed
  quote, text in a column that is otherwise numbers. The first :data:`CHECK_ROWS` rows are checked.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "sales.csv"
>>> _ = p.write_bytes("省份,金额\\n广东,1\\n浙江\\n".encode("gb18030"))
>>> prepare_csv(p)
Traceback (most recent call last):
...
chatbi.errors.ConfigError: sales.csv (read as GB18030): line 3 has 1 field where the header has 2 (省份, 金额)
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

__all__ = ["PreparedCSV", "prepare_csv", "detect_encoding", "CHECK_ROWS"]

#: rows whose structure is checked (the whole file's encoding is always checked)
CHECK_ROWS = 200_000
_CHUNK = 1 << 20
_SNIFF_BYTES = 256 * 1024
#: encodings a detector may name, read as the encoding that contains them all
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "hz": "gb18030", "big5": "cp950",
              "ascii": "utf-8"}
_CJK = {"gb2312", "gbk", "gb18030", "cp936", "hz", "big5", "cp950", "cp949", "euc_kr", "johab", "shift_jis", "cp932",
        "euc_jp", "iso2022_jp", "iso2022_kr"}
_NUMBER_SHARE = 0.9  # a column this numeric is a number column; its other values are mistakes


@dataclass(frozen=True)
class PreparedCSV:
    #: the file DuckDB reads: the original, or a UTF-8 copy of it
    path: Path
    #: the encoding the original was read with (``utf-8``, ``utf-8-sig``, ``gb18030``, ...)
    encoding: str
    original: Path


def _label(path: Path, encoding: str) -> str:
    if encoding in ("utf-8", "utf-8-sig"):
        return path.name
    return f"{path.name} (read as {encoding.upper()})"


def detect_encoding(path: Path) -> str:
    """The file's encoding: BOM, else UTF-8 when every byte decodes, else charset-normalizer's best guess."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(path, "utf-8"):
        return "utf-8"
    from charset_normalizer import from_bytes

    matches = from_bytes(head)
    best = matches.best()
    names = [codecs.lookup(m.encoding).name for m in matches]
    # short Chinese samples are often guessed as Korean or Japanese: a file that is valid GB18030
    # and was guessed as any East Asian encoding is read as GB18030 (what Excel writes in China)
    if (any(n in _CJK for n in names) or not names) and _decodes(path, "gb18030"):
        return "gb18030"
    if best is None:
        raise ConfigError(f"{path.name}: cannot tell which text encoding this file uses; save it as UTF-8 "
                          "(in Excel: Save As > CSV UTF-8)")
    name = codecs.lookup(best.encoding).name
    return _SUPERSETS.get(name, name)


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def prepare_csv(path: str | os.PathLike[str], *, cache_dir: Path | None = None) -> PreparedCSV:
    """Check ``path`` and return what DuckDB should read; :class:`ConfigError` names the problem and line."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise ConfigError(f"{path.name} is empty: a CSV file needs a header row and at least one row of data")
    encoding = detect_encoding(path)
    label = _label(path, encoding)
    _check_structure(path, encoding, label)
    if encoding in ("utf-8", "utf-8-sig"):
        return PreparedCSV(path, encoding, path)
    return PreparedCSV(_utf8_copy(path, encoding, label, cache_dir), encoding, path)


def _text(path: Path, encoding: str) -> io.TextIOWrapper:
    return open(path, encoding=encoding, errors="strict", newline="")


def _check_structure(path: Path, encoding: str, label: str) -> None:
    with _text(path, encoding) as handle:
        sample = handle.read(64 * 1024)
        handle.seek(0)
        delimiter = _delimiter(path, sample)
        rows = _rows(handle, delimiter, label)
        header = next((r for _, r in rows if any(c.strip() for c in r)), None)
        if header is None:
            raise ConfigError(f"{label} is empty: a CSV file needs a header row and at least one row of data")
        names = ", ".join(h.strip() for h in header)
        ragged: list[str] = []
        numbers: list[int] = [0] * len(header)
        words: list[list[tuple[int, str]]] = [[] for _ in header]
        count = 0
        for line, row in rows:
            if not any(c.strip() for c in row):
                continue  # blank lines are skipped by every reader
            count += 1
            if len(row) != len(header):
                if len(ragged) < 3:
                    ragged.append(f"line {line} has {len(row)} field{'s' if len(row) != 1 else ''} "
                                  f"where the header has {len(header)}")
                continue
            for i, cell in enumerate(row):
                value = cell.strip()
                if not value:
                    continue
                if _is_number(value):
                    numbers[i] += 1
                elif len(words[i]) < 4:
                    words[i].append((line, value))
            if count >= CHECK_ROWS:
                break
    if count == 0:
        raise ConfigError(f"{label} has a header ({names}) but no rows of data")
    if ragged:
        more = "" if len(ragged) < 3 else " (and maybe more)"
        raise ConfigError(f"{label}: {'; '.join(ragged)}{more} ({names})")
    for i, found in enumerate(words):
        if found and numbers[i] >= 5 and numbers[i] / (numbers[i] + len(found)) >= _NUMBER_SHARE:
            where = ", ".join(f"line {line}: {value!r}" for line, value in found[:3])
            raise ConfigError(f"{label}: column {header[i].strip()!r} holds numbers except {where}; the column "
                              "would be read as text -- fix those cells, or leave them empty for a missing value")


def _delimiter(path: Path, sample: str) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    try:
        return csv.Sniffer().sniff(sample[:16 * 1024], delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


def _rows(handle: io.TextIOWrapper, delimiter: str, label: str) -> Iterator[tuple[int, list[str]]]:
    """``(first line, fields)`` per record; quoting mistakes become errors with their line."""
    reader = csv.reader(handle, delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "end of data" in str(exc):
                raise ConfigError(f"{label}: line {start}: a quote opened here is never closed (the field runs to "
                                  "the end of the file)") from None
            raise ConfigError(f"{label}: line {reader.line_num}: {exc} (inside quotes write a quote as \"\")") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{label}: bytes that are not {handle.encoding.upper()} near line {reader.line_num + 1}"
                              f" ({exc.reason}); save the file as UTF-8") from None
        yield start, row
        start = reader.line_num + 1


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _utf8_copy(path: Path, encoding: str, label: str, cache_dir: Path | None) -> Path:
    """A UTF-8 copy of ``path`` in the cache, made once per (path, size, modification time)."""
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{encoding}".encode()).hexdigest()[:16]
    root = cache_dir or Path(os.environ.get("CHATBI_CACHE_DIR") or Path.home() / ".cache" / "chatbi") / "files"
    target = root / f"{path.stem}-{key}.csv"
    if target.exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=root)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out, _text(path, encoding) as src:
            while chunk := src.read(_CHUNK):
                out.write(chunk)
        os.replace(tmp, target)
    except UnicodeDecodeError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"{label}: bytes that are not {encoding.upper()} ({exc.reason}); save the file as UTF-8") \
            from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
