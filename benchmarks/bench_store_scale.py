"""The store at a province's scale: rates and look-ups over a million documents.

    .venv/bin/python -m benchmarks.bench_store_scale [--documents 1000000] [--communes 200]
        [--backend sqlite|postgresql|both] [--pg-url URL] [--work DIR] [--repeat 5]
        [--extra-index TABLE:COL,COL ...] [--seed 2024]

Targets (issue 5, "Scale"): ``stats`` for all communes < 1 s on PostgreSQL and < 3 s on
SQLite; look-up by personal ID < 50 ms; name search without diacritics < 300 ms.

What is generated (deterministic for a seed), written in bulk (``executemany`` in one
transaction on SQLite, ``COPY`` on PostgreSQL; never the ORM row by row, which would take an
hour and measure nothing of interest):

* one province and ``--communes`` communes, each with its own digitization and reuse habits
  (so rates differ between communes);
* dossiers received over 2023–2024 (about 0.37 per document), most with 1–4 documents
  (receipt, form, result), some with none (not digitized);
* the documents: linked ones dated on their dossier's receipt, the rest archival scans
  (2015–2024) linked to no dossier; 10 % ``needs_review``;
* two fields per document (a person's name and personal ID, with the folded name), as the
  pipeline writes them; reuse events on about a third of the dossiers.

Then ``ANALYZE`` (``VACUUM ANALYZE`` on PostgreSQL, as autovacuum would), and the timings,
through the code the commands use: :func:`digitizer.store.rates.commune_rates` and
:func:`digitizer.store.lookup.search`. PostgreSQL comes from ``--pg-url`` or is started by
``scripts/postgres.sh`` in the work folder (and stopped at the end). ``--extra-index``
creates indexes after a first round of timings and measures again: how an index needed for a
target was found. The store's schema itself is models.py's (``Store(url)`` creates it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, make_url, text

from benchmarks.common import start_postgres, stop_server
from digitizer.store import Store, progress
from digitizer.store.lookup import LookupQuery, fields_of_type, search
from digitizer.store.models import Base, Document, Dossier, Field, ReuseEvent, Unit
from digitizer.store.rates import commune_rates
from digitizer.understanding.schema import load_schemas
from digitizer.understanding.vntext import fold

ROOT = Path(__file__).resolve().parent.parent
DOC_TYPES = {  # share of documents
    "dossier_receipt": 0.25,
    "application_form": 0.25,
    "birth_certificate": 0.14,
    "land_use_certificate": 0.14,
    "marriage_certificate": 0.06,
    "business_household_registration": 0.05,
    "death_certificate": 0.04,
    "construction_permit": 0.04,
    "unknown": 0.03,
}
FAMILY = ["NGUYỄN", "TRẦN", "LÊ", "PHẠM", "HOÀNG", "VŨ", "ĐẶNG", "BÙI", "ĐỖ", "HỒ", "NGÔ"]
FAMILY_WEIGHTS = [38, 11, 9.5, 7, 5, 4, 2, 2, 1.5, 1.5, 1.3]
MIDDLE = ["VĂN", "THỊ", "ĐỨC", "MINH", "HỮU", "NGỌC", "THANH", "QUANG", "XUÂN", "THU", "KIM"]
PROVINCES = ["024", "042", "001", "079", "026", "019", "031"]


@dataclass
class Dataset:
    """Rows per table (lists of tuples in column order) and values to look up."""

    units: list[tuple[Any, ...]] = field(default_factory=list)
    dossiers: list[tuple[Any, ...]] = field(default_factory=list)
    documents: list[tuple[Any, ...]] = field(default_factory=list)
    fields: list[tuple[Any, ...]] = field(default_factory=list)
    reuses: list[tuple[Any, ...]] = field(default_factory=list)
    sample_ids: list[str] = field(default_factory=list)
    sample_names: list[str] = field(default_factory=list)


def _given_names() -> list[str]:
    path = ROOT / "digitizer" / "data" / "name_syllables.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.split("\t")[0].upper() for ln in lines if ln and not ln.startswith("#")]


def generate(n_docs: int, n_communes: int, seed: int) -> Dataset:
    """The whole data set in memory (about 3 GB of Python objects for a million documents)."""
    rng = random.Random(seed)
    schemas = load_schemas(ROOT / "schemas")
    name_fields = set(fields_of_type(schemas, "name"))
    id_fields = set(fields_of_type(schemas, "personal_id"))
    per_type = {
        s.doc_type: (
            next((f.name for f in s.fields if f.name in name_fields), None),
            next((f.name for f in s.fields if f.name in id_fields), None),
        )
        for s in schemas.schemas
    }
    given = _given_names()
    folded: dict[str, str] = {}
    data = Dataset()
    data.units.append((1, "24", "Tỉnh Bắc Giang", "province", None, None, None))
    habits = {}
    for c in range(n_communes):
        unit_id = c + 2
        data.units.append(
            (
                unit_id,
                f"{7000 + 3 * c:05d}",
                f"Xã {rng.choice(given).title()} {c + 1}",
                "commune",
                "24",
                None,
                None,
            )
        )
        habits[unit_id] = (rng.uniform(0.55, 0.98), rng.uniform(0.1, 0.6))
    types, type_cum = list(DOC_TYPES), list(itertools.accumulate(DOC_TYPES.values()))
    family_cum = list(itertools.accumulate(FAMILY_WEIGHTS))
    start = dt.date(2023, 1, 1)
    utc = dt.UTC

    def document(dossier_id: int | None, unit_id: int, day: dt.date) -> None:
        i = len(data.documents)
        doc_id = f"{rng.getrandbits(128):032x}"
        doc_type = rng.choices(types, cum_weights=type_cum)[0]
        review = rng.random() < 0.10
        digest = hashlib.sha256(doc_id.encode()).hexdigest()
        created = dt.datetime.combine(day, dt.time(7 + i % 10, i % 60), tzinfo=utc)
        name_field, id_field = per_type.get(doc_type, (None, None))
        pid = None
        if id_field is not None:
            born = rng.randint(1940, 2015)
            pid = (
                rng.choice(PROVINCES)
                + str((0 if born < 2000 else 2) + rng.randint(0, 1))
                + f"{born % 100:02d}{rng.randrange(1_000_000):06d}"
            )
            data.fields.append(
                (doc_id, id_field, pid, 0.97, "ok", 1, 620, 410, 300, 40, pid, "ocr")
            )
            if i % 997 == 0:
                data.sample_ids.append(pid)
        if name_field is not None:
            name = " ".join(
                (
                    rng.choices(FAMILY, cum_weights=family_cum)[0],
                    rng.choice(MIDDLE),
                    rng.choice(given),
                )
            )
            key = folded.get(name) or folded.setdefault(name, fold(name))
            fstatus = "needs_review" if review else "ok"
            data.fields.append(
                (doc_id, name_field, name, 0.91, fstatus, 1, 300, 360, 520, 44, key, "ocr")
            )
            if i % 991 == 0:
                data.sample_names.append(key)
        status = "needs_review" if review else "registered"
        archived = f"/srv/archive/{doc_id[:2]}/{doc_id}.pdf"
        data.documents.append(
            (
                doc_id,
                digest,
                f"/srv/scans/{day:%Y/%m/%d}/{i:07d}.tif",
                f"{i:07d}.tif",
                status,
                doc_type,
                0.93,
                "default",
                unit_id,
                rng.randint(1, 4),
                archived,
                digest[::-1],
                "2B",
                "tesseract 5.3.0",
                created,
                dossier_id,
                pid,
                None,
            )
        )

    n_dossiers = max(1, int(n_docs * 0.37))
    for d in range(1, n_dossiers + 1):
        unit_id = rng.randrange(n_communes) + 2
        scanned, reuse = habits[unit_id]
        day = start + dt.timedelta(days=rng.randrange(731))
        code = f"000.{unit_id:02d}.24.H07-{day:%y%m%d}-{d:07d}"
        returned = day + dt.timedelta(days=rng.randint(1, 15))
        created = dt.datetime.combine(day, dt.time(8), tzinfo=utc)
        data.dossiers.append(
            (d, code, "Đăng ký khai sinh", unit_id, day, returned, "returned", "import", created)
        )
        if rng.random() < scanned:
            for _ in range(rng.randint(1, 4)):
                if len(data.documents) < n_docs:
                    document(d, unit_id, day)
        if rng.random() < reuse and data.documents:
            target = data.documents[rng.randrange(len(data.documents))][0]
            data.reuses.append((len(data.reuses) + 1, created, target, d, "pipeline", True))
    while len(data.documents) < n_docs:  # archival scans, linked to no dossier
        day = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650))
        document(None, rng.randrange(n_communes) + 2, day)
    return data


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, dt.datetime):  # SQLAlchemy's SQLite DateTime storage format
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _tables(data: Dataset) -> list[tuple[str, list[str], list[tuple[Any, ...]]]]:
    """(table, columns, rows): the generated tuples follow models.py's column order (a
    generated ``fields`` row leaves its ``id`` to the database)."""
    out = []
    model: type[Base]
    for model, rows in (
        (Unit, data.units),
        (Dossier, data.dossiers),
        (Document, data.documents),
        (Field, data.fields),
        (ReuseEvent, data.reuses),
    ):
        cols = [c.name for c in model.__table__.columns]
        if rows and len(rows[0]) == len(cols) - 1:
            cols = cols[1:]
        elif model is Dossier and rows:  # progress flags: derived after loading (server default)
            cols = cols[: len(rows[0])]
        assert not rows or len(rows[0]) == len(cols), (
            f"{model.__tablename__}: rows don't fit models.py"
        )
        out.append((model.__tablename__, cols, rows))
    return out


def load_sqlite(path: Path, data: Dataset) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA cache_size=-2000000")  # 2 GB while loading: random-key index inserts
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        for table, cols, rows in _tables(data):
            sql = f"INSERT INTO {table} ({', '.join(map(_quote, cols))}) VALUES "
            sql += f"({', '.join('?' * len(cols))})"
            conn.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows))
    conn.execute("ANALYZE")
    conn.close()


def _quote(col: str) -> str:
    return f'"{col}"'


def _psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def load_postgres(url: str, data: Dataset) -> None:
    with psycopg.connect(_psycopg_url(url)) as conn:
        with conn.cursor() as cur:
            for table, cols, rows in _tables(data):
                with cur.copy(f"COPY {table} ({', '.join(map(_quote, cols))}) FROM STDIN") as cp:
                    for row in rows:
                        cp.write_row(row)
            for table in ("units", "dossiers", "reuse_events", "fields"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


@dataclass
class Figure:
    what: str
    target_ms: float | None
    times_ms: list[float]
    detail: str = ""

    def row(self, backend: str) -> str:
        med = statistics.median(self.times_ms)
        worst = max(self.times_ms)
        target = f"< {self.target_ms:.0f}" if self.target_ms else ""
        ok = "" if self.target_ms is None else ("ok" if worst < self.target_ms else "MISSED")
        return (
            f"{backend:10} {self.what:38} {self.times_ms[0]:9.1f} {med:9.1f} {worst:9.1f} "
            f"{target:>8} {ok:6} {self.detail}"
        )


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


def measure(url: str, data: Dataset, repeat: int) -> list[Figure]:
    store = Store(url)
    schemas = load_schemas(ROOT / "schemas")
    year = {"date_from": dt.date(2024, 1, 1), "date_to": dt.date(2024, 12, 31)}
    figures = []
    for what, kwargs in (
        ("stats, all communes, all time", {}),
        ("stats, all communes, 2024", year),
        ("stats, all communes, 2024 by month", {**year, "by_month": True}),
        ("stats, one commune, 2024", {**year, "unit_code": data.units[1][1]}),
    ):
        runs = [_timed(partial(commune_rates, store, **kwargs)) for _ in range(repeat)]
        total = runs[-1][1].total
        detail = (
            f"{len(runs[-1][1].rows)} rows; digitization "
            f"{100 * (total.digitization_rate or 0):.2f} %, "
            f"reuse {100 * (total.reuse_rate or 0):.2f} %"
        )
        target = (
            (1000.0 if store.engine.dialect.name == "postgresql" else 3000.0)
            if not kwargs.get("unit_code")
            else None
        )
        figures.append(Figure(what, target, [t for t, _ in runs], detail))
    for what, target, queries in (
        ("lookup by personal ID", 50.0, [LookupQuery(personal_id=p) for p in data.sample_ids]),
        ("name search without diacritics", 300.0, [LookupQuery(name=n) for n in data.sample_names]),
        (
            "name search, family + middle name",
            300.0,
            [LookupQuery(name=" ".join(n.split()[:2])) for n in data.sample_names],
        ),
    ):
        times, found = [], []
        with store.session() as s:
            for q in queries[: max(repeat * 6, 30)]:
                ms, hits = _timed(partial(search, s, schemas, q))
                times.append(ms)
                found.append(len(hits))
        figures.append(
            Figure(what, target, times, f"{len(times)} queries, hits {min(found)}–{max(found)}")
        )
    store.close()
    return figures


def create_indexes(url: str, specs: list[str]) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for spec in specs:
            table, cols = spec.split(":")
            name = f"ix_bench_{table}_{cols.replace(',', '_')}"
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({cols})"))
        conn.execute(text("ANALYZE"))
    engine.dispose()


def backends(args: argparse.Namespace, work: Path) -> Iterator[tuple[str, str]]:
    if args.backend in ("sqlite", "both"):
        yield "sqlite", f"sqlite:///{work / 'scale.db'}"
    if args.backend in ("postgresql", "both"):
        yield "postgresql", args.pg_url or start_postgres(work / "pg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--communes", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", help="an empty PostgreSQL database (default: start one)")
    parser.add_argument("--work", type=Path, help="folder for the SQLite file and the server")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--extra-index", action="append", default=[], metavar="TABLE:COLS")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="digitizer-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)  # scripts/postgres.sh runs the server as 'postgres' when we are root

    seconds, data = _timed(lambda: generate(args.documents, args.communes, args.seed))
    print(
        f"generated {len(data.documents):,} documents, {len(data.dossiers):,} dossiers, "
        f"{len(data.fields):,} fields, {len(data.reuses):,} reuse events over "
        f"{args.communes} communes in {seconds / 1000:.1f} s",
        flush=True,
    )
    lines = []
    try:
        for backend, url in backends(args, work):
            Store(url).close()  # the schema of models.py, with its indexes
            t0 = time.perf_counter()
            if backend == "sqlite":
                load_sqlite(Path(make_url(url).database or ""), data)
            else:
                load_postgres(url, data)
            seconds = (time.perf_counter() - t0) * 1000
            print(
                f"{backend}: loaded in {seconds / 1000:.1f} s (bulk insert + ANALYZE)", flush=True
            )
            t0 = time.perf_counter()
            store = Store(url)
            with store.session() as s, s.begin():
                progress.refresh_all(s)
            store.close()
            print(
                f"{backend}: dossiers' progress flags derived in "
                f"{time.perf_counter() - t0:.1f} s (what a migration or reindex costs)",
                flush=True,
            )
            lines += [f.row(backend) for f in measure(url, data, args.repeat)]
            if args.extra_index:
                create_indexes(url, args.extra_index)
                lines += [f.row(f"{backend}+ix") for f in measure(url, data, args.repeat)]
    finally:
        if not args.pg_url and (work / "pg" / "data").exists():
            stop_server("postgres.sh", work / "pg")
    print(f"\n{len(data.documents):,} documents, {args.communes} communes; times in ms")
    print(f"{'backend':10} {'what':38} {'first':>9} {'median':>9} {'max':>9} {'target':>8}")
    print("\n".join(lines))
    if args.extra_index:
        print(f"extra indexes ({'+ix'}): {', '.join(args.extra_index)}")
    print(f"work folder: {work}")


if __name__ == "__main__":
    main()
