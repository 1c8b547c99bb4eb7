"""A message catalog: a folder of ``<language>.yaml`` files of nested, dotted-key messages.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "en.yaml").write_text("greet:\\n  hello: 'Hello, {name}'\\n  bye: Bye\\n", encoding="utf-8")
>>> _ = (folder / "zh.yaml").write_text("greet:\\n  hello: '{name}，你好'\\n", encoding="utf-8")
>>> catalog = Catalog(folder)
>>> catalog.message("greet.hello", "zh", name="小王"), catalog.message("greet.bye", "zh")
('小王，你好', 'Bye')
>>> catalog.missing_keys("zh")
['greet.bye']
"""

from __future__ import annotations

import string
import threading
from collections.abc import Mapping
from pathlib import Path

import yaml

from ..errors import ChatBIError

__all__ = ["DEFAULT_LANGUAGE", "Catalog", "MessageKeyError", "placeholders"]

#: The reference language: every key exists in it, every other language falls back to it.
DEFAULT_LANGUAGE = "en"


class MessageKeyError(ChatBIError, KeyError):
    """A message key that the English catalog does not define (a programming error)."""


def placeholders(text: str) -> frozenset[str]:
    """The named ``str.format`` fields of ``text``.

    >>> sorted(placeholders("{n} of {total:,} rows"))
    ['n', 'total']
    """
    return frozenset(name.split(".")[0].split("[")[0]
                     for _, name, _, _ in string.Formatter().parse(text) if name)


def _flatten(tree: Mapping[str, object], prefix: str, out: dict[str, str], source: Path) -> dict[str, str]:
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(value, f"{dotted}.", out, source)
        elif isinstance(value, str | int | float):
            out[dotted] = str(value)
        else:
            raise ValueError(f"{source.name}: {dotted}: a message must be text or a mapping of messages, "
                             f"not {type(value).__name__}")
    return out


class Catalog:
    """The ``<language>.yaml`` files of one folder, read on first use and kept."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._tables: dict[str, dict[str, str]] | None = None
        self._lock = threading.Lock()
        self._resolved: dict[str | None, str] = {}  # language tag -> catalog language

    @property
    def tables(self) -> dict[str, dict[str, str]]:
        """``{language: {dotted key: text}}`` for every catalog file."""
        if self._tables is None:
            with self._lock:
                if self._tables is None:
                    tables = {}
                    for path in sorted(self.folder.glob("*.yaml")):
                        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                        tables[path.stem] = _flatten(raw, "", {}, path)
                    self._tables = tables
        return self._tables

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.tables, key=lambda lang: (lang != DEFAULT_LANGUAGE, lang)))

    def language_of(self, language: str | None) -> str:
        """``zh``/``zh-CN``/``zh_Hans`` -> ``zh`` when a ``zh`` catalog exists; English otherwise."""
        try:
            return self._resolved[language]
        except KeyError:
            pass
        tag = (language or "").strip().lower().replace("_", "-")
        base = tag.split("-")[0]
        found = tag if tag in self.tables else base if base in self.tables else DEFAULT_LANGUAGE
        if len(self._resolved) < 256:  # language tags come from a small set; bound it all the same
            self._resolved[language] = found
        return found

    def has(self, key: str) -> bool:
        """Whether ``key`` is a message (of the English catalog, which every language falls back to)."""
        return key in self.tables.get(DEFAULT_LANGUAGE, {})

    def text(self, key: str, language: str | None) -> str:
        """The raw message (placeholders unfilled)."""
        tables = self.tables
        text = tables.get(self.language_of(language), {}).get(key)
        if text is not None:
            return text
        try:
            return tables[DEFAULT_LANGUAGE][key]
        except KeyError:
            raise MessageKeyError(f"no message {key!r} in {self.folder.name}/{DEFAULT_LANGUAGE}.yaml") from None

    def message(self, key: str, language: str | None, /, **params: object) -> str:
        text = self.text(key, language)
        return text.format_map(params) if params else text

    def phrases(self, prefix: str, language: str | None) -> dict[str, str]:
        """Every message under ``prefix.`` (keys without the prefix), English filling the gaps."""
        head = f"{prefix}."
        merged: dict[str, str] = {}
        for lang in dict.fromkeys((DEFAULT_LANGUAGE, self.language_of(language))):
            merged.update({k[len(head):]: v for k, v in self.tables.get(lang, {}).items() if k.startswith(head)})
        if not merged:
            raise MessageKeyError(f"no messages under {prefix!r} in {self.folder.name}/{DEFAULT_LANGUAGE}.yaml")
        return merged

    def problems(self, differences: Mapping[tuple[str, str], set[str]] | None = None) -> list[str]:
        """What makes the catalogs disagree: keys missing or extra, placeholders not as in English.

        A translation uses exactly English's placeholders, except those declared in ``differences``
        by ``(language, key)``: a language may word a sentence without a number ("等" names no
        count) or with the amount unsigned where a verb carries the direction. Callers pass the
        union; declaring each difference keeps a typo (``{nmae}``) from hiding among them.
        """
        differences = differences or {}
        found: list[str] = []
        reference = self.tables.get(DEFAULT_LANGUAGE, {})
        for language in self.languages[1:]:
            found += [f"{language}.yaml: {key}: missing or not in {DEFAULT_LANGUAGE}.yaml"
                      for key in self.missing_keys(language)]
            for key, text in self.tables[language].items():
                if key not in reference:
                    continue
                differ = placeholders(text) ^ placeholders(reference[key])
                declared = differences.get((language, key), set())
                if differ != declared:
                    found.append(f"{language}.yaml: {key}: placeholders {sorted(placeholders(text))}, "
                                 f"{DEFAULT_LANGUAGE}.yaml has {sorted(placeholders(reference[key]))}"
                                 + (f", declared differences {sorted(declared)}" if declared else ""))
        for (language, key) in differences:
            if key not in reference or key not in self.tables.get(language, {}):
                found.append(f"{language}.yaml: {key}: declared difference for a message that does not exist")
        return found

    def missing_keys(self, language: str) -> list[str]:
        """Keys of the English catalog that ``language`` lacks (or has beyond English)."""
        reference, table = self.tables[DEFAULT_LANGUAGE], self.tables.get(language, {})
        return sorted(set(reference) ^ set(table))
