"""Fixtures shared by every test file: the store on both of its backends.

The store runs on SQLite (embedded, the default) and on PostgreSQL (a shared server), so
store tests take ``store_url`` and run once on each. The PostgreSQL server is real:

* ``scripts/test.sh`` starts one (``scripts/postgres.sh``) and exports its URL as
  ``DIGITIZER_TEST_PG_URL``, so that every xdist worker shares it;
* a bare ``pytest`` with no such variable starts one per session (per worker) itself, in a
  temporary folder, and stops it at the end.

Fixtures and helpers other test files use:

``store_url``        (function) parametrized ``[sqlite]`` / ``[postgresql]``: the URL of a
                     fresh, *empty* database (no tables: ``Store(url)`` creates them), owned
                     by the test; an SQLite file under ``tmp_path``, or a new database on the
                     PostgreSQL server, dropped after the test.
``pg_url``           (function) the same as ``store_url[postgresql]`` alone.
``new_pg_database``  (session) a callable returning the URL of one more fresh empty
                     database on the server each time it is called, all dropped at the end
                     of the session: for module- or class-scoped fixtures (e.g. one store
                     filled once and queried by many tests).
``pg_server_url``    (session) the server's own URL; tests never write there.
``sqlite_url(path)`` a plain function: the SQLite URL of a file.
``redis_url``        (function) the URL of an empty Redis database (the task queue of
                     distributed runs) on a real server on loopback:
                     ``$DIGITIZER_TEST_REDIS_URL`` (started by ``scripts/test.sh``), one
                     database number per xdist worker, flushed before each test; or a server
                     started here by ``scripts/redis.sh`` and stopped at the session end.

``pki``              (module) a running office PKI (tests/pki: CA, signer, TSA, OCSP).

A database URL given to the CLI goes in ``DIGITIZER_DB_URL``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from digitizer.understanding.schema import SchemaSet, load_schemas
from digitizer.understanding.understand import Understander
from digitizer.understanding.validate import load_province_codes
from tests.pki import OfficePki, running_pki

# the day understanding tests take as today (dates after it are in the future)
UNDERSTANDING_TODAY = dt.date(2026, 11, 23)

ROOT = Path(__file__).resolve().parent.parent
PG_ENV = "DIGITIZER_TEST_PG_URL"
PG_SCRIPT = ROOT / "scripts" / "postgres.sh"
REDIS_ENV = "DIGITIZER_TEST_REDIS_URL"
REDIS_SCRIPT = ROOT / "scripts" / "redis.sh"
_PG_PREFIX = "digitizer-pg-"  # the folders of servers started here, under the temp folder
BACKENDS = ["sqlite", "postgresql"]


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an SQLite database file."""
    return f"sqlite:///{path}"


def _start_server(script: Path, folder: str) -> str:
    """Start the throw-away server of ``script`` (postgres.sh, redis.sh) in ``folder``; its URL."""
    proc = subprocess.run(
        ["bash", str(script), "start", folder], capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"scripts/{script.name} start failed:\n{proc.stderr}", pytrace=False)
    return proc.stdout.strip().splitlines()[-1]


def _stop_server(folder: str | Path, script: Path = PG_SCRIPT) -> None:
    subprocess.run(["bash", str(script), "stop", str(folder)], capture_output=True, timeout=120)
    shutil.rmtree(folder, ignore_errors=True)


def _stop_orphaned_servers() -> None:
    """Stop the servers of earlier sessions that were killed before their teardown ran
    (a timeout, a SIGKILL): a server outlives the pytest that started it."""
    for owner in Path(tempfile.gettempdir()).glob(f"{_PG_PREFIX}*/owner.pid"):
        try:
            os.kill(int(owner.read_text(encoding="utf-8")), 0)
        except ProcessLookupError:
            _stop_server(owner.parent)
        except (OSError, ValueError):
            continue


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """The URL of a running PostgreSQL server: ``$DIGITIZER_TEST_PG_URL``, else one started
    now by scripts/postgres.sh and stopped (and deleted) when the session ends."""
    given = os.environ.get(PG_ENV)
    if given:
        yield given
        return
    _stop_orphaned_servers()
    folder = tempfile.mkdtemp(prefix=_PG_PREFIX)
    Path(folder, "owner.pid").write_text(str(os.getpid()), encoding="utf-8")
    try:
        yield _start_server(PG_SCRIPT, folder)
    finally:
        _stop_server(folder)


class PgDatabases:
    """Makes empty databases on the test server; drops them on request or at the end."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        self._made: set[str] = set()

    def __call__(self) -> str:
        """The URL of a new empty database."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self._made.add(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Drop a database this made (open connections to it are ended)."""
        name = make_url(url).database
        assert name in self._made, f"{name} was not made by new_pg_database"
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._made.discard(name)

    def close(self) -> None:
        for name in sorted(self._made):
            self.drop(f"postgresql+psycopg:///{name}")
        self._admin.dispose()


@pytest.fixture(scope="session")
def new_pg_database(pg_server_url: str) -> Iterator[PgDatabases]:
    """A callable: each call creates an empty database on the server and returns its URL
    (``new_pg_database.drop(url)`` drops one early). All are dropped at the session end."""
    databases = PgDatabases(pg_server_url)
    yield databases
    databases.close()


@pytest.fixture
def pg_url(new_pg_database: PgDatabases) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database for this test alone (dropped after)."""
    url = new_pg_database()
    yield url
    new_pg_database.drop(url)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh, empty database for this test, once per backend: an SQLite file
    in ``tmp_path`` (``[sqlite]``) or a new database on the test PostgreSQL server
    (``[postgresql]``). Select one with ``-k sqlite`` / ``-k postgresql``."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "store.db")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """A running Redis server: ``$DIGITIZER_TEST_REDIS_URL``, else one started now."""
    given = os.environ.get(REDIS_ENV)
    if given:
        yield given
        return
    folder = tempfile.mkdtemp(prefix="digitizer-redis-")
    try:
        yield _start_server(REDIS_SCRIPT, folder)
    finally:
        _stop_server(folder, REDIS_SCRIPT)


@pytest.fixture
def redis_url(redis_server_url: str, worker_id: str) -> str:
    """An empty Redis database of this xdist worker (database 1, 2, ...; 0 without xdist)."""
    import redis

    number = int(worker_id[2:]) + 1 if worker_id.startswith("gw") else 0
    url = redis_server_url.rsplit("/", 1)[0] + f"/{number}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfficePki]:
    """A running office PKI (certomancer: CA, intermediate, signer, TSA, OCSP) for a test
    module: its certificates and the URLs of its services."""
    with running_pki(tmp_path_factory.mktemp("pki")) as running:
        yield running


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    """The bundled schemas (``schemas/``)."""
    return load_schemas(Path(__file__).resolve().parent.parent / "schemas")


@pytest.fixture(scope="module")
def understander(schemas: SchemaSet) -> Understander:
    """An understander of the bundled schemas, on a fixed day."""
    return Understander(schemas, load_province_codes(), UNDERSTANDING_TODAY)
