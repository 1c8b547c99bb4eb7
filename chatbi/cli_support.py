"""What the command line needs to explain itself: one-line argument errors, port checks before
anything says "serving", the user's language, and result columns named by their labels.

>>> port_number("8050")
8050
>>> port_number("99999")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: 99999 is not a port number (1-65535)
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from collections.abc import Mapping
from typing import Any, NoReturn

from .errors import ConfigError

__all__ = ["OneLineParser", "port_number", "check_port_free", "user_language", "column_labels", "progress"]


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake is one line on stderr (not the usage block) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def port_number(text: str) -> int:
    """``--port``: an integer from 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (1-65535)")
    return value


def check_port_free(host: str, port: int) -> None:
    """Fail with one clear line when the server could not listen on ``host:port``.

    Binds and releases a socket the way the server will (``SO_REUSEADDR``), so a busy port or a
    host that is not this machine's is reported before anything announces it is serving.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on --host {host!r}: {exc.strerror}; use an address of this machine "
                          "such as 127.0.0.1 or 0.0.0.0") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port} on {host} is already in use (is ChatBI already running?); "
                                  "choose another with --port") from None
            if exc.errno == errno.EACCES:
                raise ConfigError(f"not allowed to listen on port {port} (ports below 1024 need administrator "
                                  "rights); choose another with --port, e.g. --port 8050") from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise ConfigError(f"{host} is not an address of this machine; use --host 127.0.0.1 (this machine "
                                  "only) or --host 0.0.0.0 (every interface)") from None
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def user_language(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str | None:
    """The language to answer generic messages in: ``--lang``, else the locale (``zh_CN`` -> zh, any
    other named locale -> en), else None (the model's default decides)."""
    if explicit:
        return explicit
    env = os.environ if env is None else env
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = (env.get(name) or "").strip()
        if not value or value.upper().startswith(("C.", "POSIX")) or value.upper() == "C":
            continue
        return "zh" if value.lower().startswith("zh") else "en"
    return None


_SUFFIXES = {"previous": ("上期", "previous"), "change": ("变化", "change"), "change_pct": ("变化率", "change %"),
             "share": ("占比", "share")}


def column_labels(columns: Any, model: Any, language: str) -> dict[str, str]:
    """Result columns -> the model's labels in ``language`` (``col3`` -> ``金额``, ``revenue__change``
    -> ``Revenue (change)``); columns the model does not name keep their names."""
    zh = language == "zh"
    out: dict[str, str] = {}
    for column in columns:
        base, _, suffix = str(column).partition("__")
        try:
            label = model.label(base, language)
        except Exception:  # noqa: BLE001 - a column the model does not know keeps its name
            continue
        if suffix in _SUFFIXES:
            word = _SUFFIXES[suffix][0 if zh else 1]
            label = f"{label}（{word}）" if zh else f"{label} ({word})"
        elif suffix:
            continue
        if label != column:
            out[str(column)] = label
    return out


def progress(message: str) -> None:
    """A progress line for a person waiting (stderr, so piped output stays clean)."""
    print(f"chatbi: {message}", file=sys.stderr, flush=True)
