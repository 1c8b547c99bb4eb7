"""A real, throwaway Spark Connect server for the test suite, and a DuckDB -> Spark loader.

The server is the one the ``pyspark`` PyPI package ships (``pyspark/jars`` holds Spark 4 and its
Connect plugin), run by Debian's ``openjdk-17-jre-headless``; both are installed by
``bash .ci/setup``. It runs in ``local[2]`` mode in a fresh temporary directory, listens on
127.0.0.1 on a free port, keeps its catalog in memory (no Derby metastore) and logs warnings
only. It is started once per test session (``spark_connect_url``, re-exported by
``tests/conftest.py``), waited for with a bound, and stopped by its process id; its log is kept
(and its path printed) when the start fails or a test failed.

Tables are loaded as Parquet: DuckDB writes each table to a Parquet file and the server gets
``CREATE TABLE ... USING parquet LOCATION ...`` (types carried over exactly: DATE, INT, BIGINT,
DOUBLE, STRING).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["SparkNotInstalled", "SparkConnectServer", "running_spark_connect", "spark_connect_url",
           "load_duckdb_into_spark", "find_spark_home", "SKIP_ENV"]

SETUP_HINT = "run `bash .ci/setup` (installs openjdk-17-jre-headless and pyspark[connect])"
SKIP_ENV = "CHATBI_SKIP_SPARK"
KEEP_ENV = "CHATBI_KEEP_SPARK_LOGS"
#: seconds the server may take to open its port (15-60 s on a busy 2-core machine)
START_TIMEOUT_S = float(os.environ.get("CHATBI_SPARK_START_TIMEOUT", "180"))
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"

_LOG4J = """\
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex
logger.connect.name = org.apache.spark.sql.connect.service.SparkConnectServer
logger.connect.level = info
"""


class SparkNotInstalled(RuntimeError):
    """pyspark (with its bundled Spark) or a Java runtime was not found."""


def find_spark_home() -> Path:
    """The Spark installation inside the ``pyspark`` package (bin/spark-submit, jars/)."""
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise SparkNotInstalled(f"pyspark is not installed; {SETUP_HINT}")
    home = Path(spec.origin).parent
    if not (home / "bin" / "spark-submit").is_file() or not list((home / "jars").glob("spark-connect_*.jar")):
        raise SparkNotInstalled(f"{home} has no Spark Connect server (is it the thin pyspark-client?); {SETUP_HINT}")
    return home


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise SparkNotInstalled(f"no Java runtime (java) found; {SETUP_HINT}")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SparkConnectServer:
    """One running server: ``url`` is ``sc://127.0.0.1:<port>``; ``pid`` is the JVM's process id."""

    base_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    started_in_s: float = 0.0

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def alive(self) -> bool:
        return self.process.poll() is None

    def restart(self, start_timeout_s: float = START_TIMEOUT_S) -> None:
        """Stop the server and start a new one on the same port (its in-memory catalog starts empty)."""
        self.stop()
        started = time.monotonic()
        self.process = _launch(find_spark_home(), self.base_dir, self.port)
        _wait_until_listening(self, start_timeout_s)
        self.started_in_s = time.monotonic() - started

    def stop(self, timeout_s: float = 30) -> None:
        """SIGTERM to the server's process group (the JVM and anything it started), then SIGKILL."""
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _launch(home: Path, base_dir: Path, port: int) -> subprocess.Popen[bytes]:
    conf_dir = base_dir / "conf"
    conf_dir.mkdir(exist_ok=True)
    (conf_dir / "log4j2.properties").write_text(_LOG4J)
    confs = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.sql.catalogImplementation": "in-memory",  # no Derby metastore files
        "spark.sql.warehouse.dir": str(base_dir / "warehouse"),
        "spark.local.dir": str(base_dir / "tmp"),
        "spark.sql.shuffle.partitions": "4",  # small test tables; the default 200 tasks cost seconds
        "spark.sql.session.timeZone": "UTC",
    }
    argv = [str(home / "bin" / "spark-submit"), "--class", SERVER_CLASS, "--name", "chatbi-tests",
            "--master", "local[2]", "--driver-memory", "1g"]
    for key, value in confs.items():
        argv += ["--conf", f"{key}={value}"]
    argv.append("spark-internal")  # no application jar: the server class is on Spark's classpath
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_CONF_DIR": str(conf_dir), "SPARK_LOCAL_IP": "127.0.0.1",
           "JAVA_HOME": str(Path(_java()).resolve().parent.parent), "SPARK_CONNECT_MODE": "0"}
    env.pop("SPARK_REMOTE", None)
    log = open(base_dir / "server.log", "wb")  # noqa: SIM115 - the child keeps writing after we return
    try:
        # a process group of its own: stop() signals the JVM without touching the test process
        return subprocess.Popen(argv, cwd=base_dir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()


def _wait_until_listening(server: SparkConnectServer, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"the Spark Connect server exited with code {server.process.returncode} while "
                               f"starting\n--- {server.log_file} ---\n{server.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"the Spark Connect server did not listen on port {server.port} within {timeout_s:g} s "
                       f"(CHATBI_SPARK_START_TIMEOUT)\n--- {server.log_file} ---\n{server.log_tail()}")


@contextlib.contextmanager
def running_spark_connect(*, start_timeout_s: float = START_TIMEOUT_S,
                          keep_logs: bool | Callable[[], bool] = False) -> Iterator[SparkConnectServer]:
    """Start a server in a temporary directory; stop it (by PID) and delete the directory on exit.

    The directory (with ``server.log``) is kept when the start fails, when ``keep_logs`` is (or
    returns, when called at the end) true, or when ``$CHATBI_KEEP_SPARK_LOGS=1``. Raises
    SparkNotInstalled when pyspark or Java is missing.
    """
    home = find_spark_home()
    _java()
    base_dir = Path(tempfile.mkdtemp(prefix="chatbi-spark-"))
    server: SparkConnectServer | None = None
    failed = True
    try:
        for attempt in range(3):  # the port can be taken between choosing and binding it
            port = _free_port()
            started = time.monotonic()
            server = SparkConnectServer(base_dir, port, _launch(home, base_dir, port))
            try:
                _wait_until_listening(server, start_timeout_s)
                server.started_in_s = time.monotonic() - started
                break
            except RuntimeError:
                server.stop()
                if attempt == 2 or "Address already in use" not in server.log_tail():
                    raise
        assert server is not None
        server.data_dir.mkdir(exist_ok=True)
        yield server
        failed = False
    finally:
        if server is not None:
            server.stop()
        keep = keep_logs() if callable(keep_logs) else keep_logs
        if failed or keep or os.environ.get(KEEP_ENV) == "1":
            print(f"\n[spark] server directory kept: {base_dir} (log: {base_dir / 'server.log'})")
        else:
            shutil.rmtree(base_dir, ignore_errors=True)


def spark_server(keep_logs: bool | Callable[[], bool] = False) -> Iterator[SparkConnectServer]:
    """The body of the ``spark_connect`` fixture, as a plain generator.

    Fails (never skips silently) when Spark is not installed; CHATBI_SKIP_SPARK=1 skips the tests
    that need it instead.
    """
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: tests needing a Spark Connect server are skipped")
    try:
        with running_spark_connect(keep_logs=keep_logs) as server:
            yield server
    except SparkNotInstalled as error:
        pytest.fail(f"{error} (or set {SKIP_ENV}=1 to skip these tests)", pytrace=False)


@pytest.fixture(scope="session", name="spark_connect")
def spark_connect_fixture(request: pytest.FixtureRequest) -> Iterator[SparkConnectServer]:
    """Session fixture: a Spark Connect server started for this test run (logs kept if a test failed)."""
    yield from spark_server(keep_logs=lambda: bool(request.session.testsfailed))


@pytest.fixture(scope="session")
def spark_connect_url(spark_connect: SparkConnectServer) -> str:
    """Session fixture: ``sc://127.0.0.1:<port>`` of the suite's Spark Connect server."""
    return spark_connect.url


# --- DuckDB -> Spark --------------------------------------------------------------------------

def load_duckdb_into_spark(duckdb_path: str | os.PathLike[str], server: SparkConnectServer, database: str,
                           tables: Iterable[str]) -> dict[str, int]:
    """Copy tables of a DuckDB file into ``database`` on the server (as Parquet); returns row counts."""
    import duckdb
    from pyspark.sql.connect.session import SparkSession

    target = server.data_dir / database
    target.mkdir(parents=True, exist_ok=True)
    source = duckdb.connect(str(duckdb_path), read_only=True)
    session = SparkSession(connection=server.url)
    counts: dict[str, int] = {}
    try:
        session.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
        for table in tables:
            folder = target / table
            folder.mkdir(exist_ok=True)
            source.execute(f"COPY (SELECT * FROM \"{table}\") TO '{(folder / 'part-0.parquet').as_posix()}' "
                           "(FORMAT PARQUET)")
            session.sql(f"DROP TABLE IF EXISTS {database}.{table}")
            session.sql(f"CREATE TABLE {database}.{table} USING parquet LOCATION '{folder.as_posix()}'")
            counts[table] = int(session.sql(f"SELECT COUNT(*) AS n FROM {database}.{table}").collect()[0][0])
    finally:
        source.close()
        session.stop()
    return counts
