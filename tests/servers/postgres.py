"""A real, throwaway PostgreSQL server for the test suite, and a fast DuckDB -> PostgreSQL loader.

The server runs from the Debian ``postgresql`` package's binaries (installed by ``bash .ci/setup``)
in a fresh temporary directory, listening on 127.0.0.1 only, with trust authentication and
durability switched off (tests never need a crash-safe cluster). PostgreSQL refuses to run as
root, so under root every server command runs as the ``postgres`` system user that the Debian
package creates, and the server's directories are handed to that user.

``postgres_url`` is the session-scoped pytest fixture (re-exported by ``tests/conftest.py``):
it yields a SQLAlchemy URL such as ``postgresql+psycopg://postgres@127.0.0.1:54321/chatbi``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = [
    "PostgresNotInstalled",
    "PostgresServer",
    "duckdb_type_to_postgres",
    "find_postgres_bindir",
    "load_duckdb_into_postgres",
    "postgres_server_url",
    "postgres_url",
    "running_postgres",
]

SETUP_HINT = "run `bash .ci/setup` (installs the Debian `postgresql` package)"
SKIP_ENV = "CHATBI_SKIP_POSTGRES"
SUPERUSER = "postgres"
DEFAULT_DATABASE = "chatbi"

# Durability off and WAL minimal: a COPY into a table created in the same transaction then
# skips WAL entirely, which is what makes loading a million rows take seconds.
SERVER_SETTINGS: Mapping[str, str] = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_connections": "50",
}


class PostgresNotInstalled(RuntimeError):
    """The PostgreSQL server binaries (initdb, pg_ctl) were not found."""


def find_postgres_bindir(pattern: str = "/usr/lib/postgresql/*/bin") -> Path | None:
    """The bin directory of the highest installed PostgreSQL major version, or None."""
    candidates: list[tuple[tuple[int, ...], Path]] = []
    for found in glob.glob(pattern):
        bindir = Path(found)
        if not ((bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file()):
            continue
        version = tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))
        candidates.append((version, bindir))
    if candidates:
        return max(candidates)[1]
    # Not the Debian layout (e.g. a developer's Homebrew or source build): trust PATH.
    on_path = shutil.which("initdb"), shutil.which("pg_ctl")
    if all(on_path) and Path(on_path[0]).parent == Path(on_path[1]).parent:  # type: ignore[arg-type]
        return Path(on_path[0]).parent  # type: ignore[arg-type]
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PostgresServer:
    """One running server; ``url`` is for SQLAlchemy, ``conninfo()`` for psycopg."""

    bindir: Path
    base_dir: Path
    port: int
    run_as: str | None  # system user the server runs as, None for the current user
    database: str = DEFAULT_DATABASE
    host: str = "127.0.0.1"
    user: str = SUPERUSER

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "sock"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{self.database}"

    def conninfo(self, database: str | None = None) -> str:
        """A psycopg connection string, to ``database`` or else the server's test database."""
        return f"host={self.host} port={self.port} user={self.user} dbname={database or self.database}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def run(self, *args: str | os.PathLike[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a server binary, as ``run_as`` when set; raise with its output on failure."""
        argv = [str(self.bindir / str(args[0])), *map(str, args[1:])]
        result = subprocess.run(
            _as_user(argv, self.run_as),
            cwd=self.base_dir,  # root's cwd may be unreadable for the postgres user
            env=_server_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{shlex.join(argv)} failed with exit code {result.returncode}\n"
                f"{result.stdout}{result.stderr}\n--- server log ---\n{self.log_tail()}"
            )
        return result

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                self.run("pg_ctl", "-D", self.data_dir, "-m", "immediate", "-w", "stop", timeout=60)


def _server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C.UTF-8"
    return env


def _as_user(argv: Sequence[str], user: str | None) -> list[str]:
    if user is None:
        return list(argv)
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *argv]
    return ["su", user, "-s", "/bin/sh", "-c", shlex.join(argv)]


def _system_user_for_server() -> str | None:
    """None when we may run the server ourselves; the Debian ``postgres`` user under root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresNotInstalled(
            "running as root, and PostgreSQL refuses to run as root, but there is no `postgres` "
            f"system user to run it as; {SETUP_HINT}"
        ) from None
    return "postgres"


def _chown_tree(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, d) for d in dirs), *(os.path.join(root, f) for f in files)]:
            os.chown(name, entry.pw_uid, entry.pw_gid)


def _start(bindir: Path, base_dir: Path, run_as: str | None, database: str) -> PostgresServer:
    # A port can be taken between choosing and binding it; retry on a fresh one.
    last_error: Exception | None = None
    for _attempt in range(3):
        server = PostgresServer(bindir=bindir, base_dir=base_dir, port=_free_port(), run_as=run_as, database=database)
        options = [f"-p {server.port}", f"-k {server.socket_dir}"]
        options += [f"-c {key}={value}" for key, value in SERVER_SETTINGS.items()]
        try:
            server.run(
                "pg_ctl", "-D", server.data_dir, "-l", server.log_file,
                "-o", " ".join(options), "-w", "-t", "60", "start",
            )  # fmt: skip
            _wait_until_ready(server)
            _create_database(server)
            return server
        except Exception as error:  # noqa: BLE001 - retried, then re-raised below
            last_error = error
            server.stop()
            if "could not bind" not in server.log_tail() and "Address already in use" not in server.log_tail():
                break
    assert last_error is not None
    raise last_error


def _wait_until_ready(server: PostgresServer, timeout: float = 30) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(server.conninfo("postgres"), connect_timeout=5):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _create_database(server: PostgresServer) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(server.database)))


@contextlib.contextmanager
def running_postgres(database: str = DEFAULT_DATABASE) -> Iterator[PostgresServer]:
    """Start a fresh server in a temporary directory; stop it and delete everything on exit.

    Raises PostgresNotInstalled when the server binaries are missing.
    """
    bindir = find_postgres_bindir()
    if bindir is None:
        raise PostgresNotInstalled(f"PostgreSQL server binaries (initdb, pg_ctl) not found; {SETUP_HINT}")
    run_as = _system_user_for_server()
    # Not under pytest's tmp_path: that lives in a 0700 directory of root's that the postgres
    # user cannot enter. mkdtemp under /tmp also keeps the socket path short (max ~107 bytes).
    base_dir = Path(tempfile.mkdtemp(prefix="chatbi-pg-"))
    server: PostgresServer | None = None
    try:
        (base_dir / "sock").mkdir()
        if run_as is not None:
            _chown_tree(base_dir, run_as)
        initdb = PostgresServer(bindir=bindir, base_dir=base_dir, port=0, run_as=run_as)
        initdb.run(
            "initdb", "-D", initdb.data_dir, "--username", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions",
        )  # fmt: skip
        server = _start(bindir, base_dir, run_as, database)
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(base_dir, ignore_errors=True)


def postgres_server_url() -> Iterator[str]:
    """The body of the ``postgres_url`` fixture, as a plain generator (so it can be tested).

    Fails (never skips silently) when PostgreSQL is not installed; CHATBI_SKIP_POSTGRES=1 skips
    the tests that need it instead.
    """
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: tests needing a PostgreSQL server are skipped")
    try:
        with running_postgres() as server:
            yield server.url
    except PostgresNotInstalled as error:
        pytest.fail(f"{error} (or set {SKIP_ENV}=1 to skip these tests)", pytrace=False)


postgres_url = pytest.fixture(scope="session", name="postgres_url")(postgres_server_url)
"""Session fixture: SQLAlchemy URL of a real PostgreSQL server started for this test run."""


# --- DuckDB -> PostgreSQL ---------------------------------------------------------------------

_SIMPLE_TYPES: Mapping[str, str] = {
    "BOOLEAN": "BOOLEAN",
    "TINYINT": "SMALLINT",
    "SMALLINT": "SMALLINT",
    "INTEGER": "INTEGER",
    "BIGINT": "BIGINT",
    "HUGEINT": "NUMERIC(39,0)",
    "UTINYINT": "SMALLINT",
    "USMALLINT": "INTEGER",
    "UINTEGER": "BIGINT",
    "UBIGINT": "NUMERIC(20,0)",
    "UHUGEINT": "NUMERIC(39,0)",
    "FLOAT": "REAL",
    "DOUBLE": "DOUBLE PRECISION",
    "VARCHAR": "TEXT",
    "DATE": "DATE",
    "TIME": "TIME",
    "TIMESTAMP": "TIMESTAMP",
    "TIMESTAMP_S": "TIMESTAMP",
    "TIMESTAMP_MS": "TIMESTAMP",
    "TIMESTAMP_NS": "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ",
    "INTERVAL": "INTERVAL",
    "UUID": "UUID",
    "JSON": "JSONB",
}


def duckdb_type_to_postgres(duckdb_type: str) -> str:
    """The PostgreSQL column type for a DuckDB ``information_schema`` data type.

    >>> duckdb_type_to_postgres("DOUBLE"), duckdb_type_to_postgres("DECIMAL(18,3)")
    ('DOUBLE PRECISION', 'NUMERIC(18,3)')
    """
    normalized = duckdb_type.strip().upper()
    if normalized in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[normalized]
    if match := re.fullmatch(r"(?:DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)", normalized):
        return f"NUMERIC({match[1]},{match[2]})"
    if normalized.startswith("ENUM("):
        return "TEXT"
    raise ValueError(f"no PostgreSQL mapping for DuckDB type {duckdb_type!r}")


def _duckdb_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_connect_kwargs(url: str) -> dict[str, object]:
    """psycopg.connect() arguments from a SQLAlchemy URL (or a plain postgresql:// URI)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    kwargs: dict[str, object] = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "dbname": parsed.database,
        **parsed.query,
    }
    return {key: value for key, value in kwargs.items() if value is not None}


def load_duckdb_into_postgres(
    duckdb_path: str | os.PathLike[str],
    url: str,
    tables: Iterable[str] | None = None,
    *,
    replace: bool = True,
) -> dict[str, int]:
    """Copy tables from a DuckDB file into PostgreSQL; returns the row count of each table.

    The PostgreSQL tables are created from the DuckDB column types (see
    ``duckdb_type_to_postgres``); ``tables=None`` copies every table of the ``main`` schema.
    The data travels as CSV: DuckDB's parallel ``COPY TO`` a temporary file, then PostgreSQL's
    ``COPY FROM STDIN`` in the same transaction as the ``CREATE TABLE`` (which lets the
    server skip WAL under ``wal_level=minimal``). DuckDB's CSV writes NULL as an empty field
    and the empty string as ``""``, which is exactly how PostgreSQL's CSV format reads them.
    """
    import duckdb
    import psycopg
    from psycopg import sql

    counts: dict[str, int] = {}
    source = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        if tables is None:
            tables = [
                row[0]
                for row in source.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
                ).fetchall()
            ]
        tables = list(tables)
        with tempfile.TemporaryDirectory(prefix="chatbi-duck2pg-") as tmp, psycopg.connect(
            **_pg_connect_kwargs(url), autocommit=True
        ) as conn:
            for table in tables:
                columns = source.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
                    [table],
                ).fetchall()
                if not columns:
                    raise KeyError(f"table {table!r} not found in {duckdb_path}")
                column_defs = [
                    sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(duckdb_type_to_postgres(dtype)))
                    for name, dtype in columns
                ]
                csv_path = Path(tmp) / f"{len(counts)}.csv"
                # The path comes from mkdtemp, so quoting it as a literal is safe.
                source.execute(
                    f"COPY (SELECT * FROM main.{_duckdb_ident(table)}) TO '{csv_path.as_posix()}' "
                    "(FORMAT CSV, HEADER false)"
                )
                target = sql.Identifier(table)
                with conn.transaction():
                    if replace:
                        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
                    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(column_defs)))
                    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
                        target, sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns)
                    )
                    with conn.cursor() as cur:
                        with cur.copy(copy_sql) as copy, open(csv_path, "rb") as data:
                            while chunk := data.read(1 << 20):
                                copy.write(chunk)
                        counts[table] = cur.rowcount
                csv_path.unlink()
            # Fresh statistics so the planner sees real row counts, as a warehouse would.
            for table in tables:
                conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    finally:
        source.close()
    return counts

