"""Hostile YAML (binary, other encodings, deep nesting, self-referring and exploding anchors) is one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from semantic_layer.errors import InputFileError
from semantic_layer.yamlfile import MAX_YAML_DEPTH, read_yaml

LAUGHS = "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcdef", "bcdefg"))

HOSTILE = {
    "binary": (os.urandom(3000).replace(b"\xff\xfe", b"ab") + b"\x00", "binary file, not YAML"),
    "latin1": ("name: caf\xe9\n".encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 9)"),
    "utf16": ("name: x\n".encode("utf-16"), "not UTF-8 text"),
    "deep_lists": (("[" * 5000 + "]" * 5000).encode(), "nested too deeply"),
    "deep_maps": (("a: " + "{b: " * 3000 + "1" + "}" * 3000).encode(), "nested too deeply"),
    "moderately_deep": (("[" * (MAX_YAML_DEPTH + 5) + "]" * (MAX_YAML_DEPTH + 5)).encode(), "nested too deeply"),
    "self_alias": (b"a: &a [*a]\n", "refers to itself"),
    "laughs": (LAUGHS.encode(), "expands to more than"),
    "broken": (b"a: [1, 2\n", "not valid YAML at line 2"),
    "tab": (b"a:\n\t- 1\n", "not valid YAML at line 2, column 1"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_yaml_is_one_clear_line(tmp_path: Path, name: str) -> None:
    data, expected = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(data)
    with pytest.raises(InputFileError) as info:
        read_yaml(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message


def test_ordinary_yaml_with_a_bom_and_shared_anchors_reads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_bytes("\ufeffbase: &b {x: 1}\none: *b\ntwo: *b\n名字: 广东\n".encode())
    assert read_yaml(path) == {"base": {"x": 1}, "one": {"x": 1}, "two": {"x": 1}, "名字": "广东"}
    with pytest.raises(InputFileError, match="cannot read the file"):
        read_yaml(tmp_path / "missing.yaml")


@pytest.mark.parametrize("command", [["model", "check"], ["security", "check"]])
@pytest.mark.parametrize("name", ["binary", "deep_lists", "laughs", "latin1", "self_alias"])
def test_model_and_security_check_print_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 command: list[str], name: str) -> None:
    from chatbi.cli import main

    path = tmp_path / f"{name}.yaml"
    path.write_bytes(HOSTILE[name][0])
    assert main([*command, str(path)]) == 1
    captured = capsys.readouterr()
    lines = [line for line in (captured.err + captured.out).splitlines() if line.strip()]
    assert len(lines) == 1 and str(path) in lines[0] and HOSTILE[name][1] in lines[0], lines
    assert "Traceback" not in captured.err
