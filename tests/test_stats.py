"""The rates per commune, on a small store whose every number is known by construction.

The store is filled through the real store API (the ORM rows the pipeline writes); then the
figures are checked exactly, through :func:`commune_rates` and through the real CLI.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from digitizer.store import Store, default_url, progress
from digitizer.store.lookup import record_reuse
from digitizer.store.models import Document, Dossier, ReuseEvent, Unit
from digitizer.store.rates import BadPeriodError, UnknownUnitError, commune_rates
from tests.cli import run_digitizer
from tests.test_store_backends import _result

ROOT = Path(__file__).resolve().parent.parent

MARCH, APRIL = dt.date(2024, 3, 1), dt.date(2024, 4, 30)


def _doc(
    n: int, unit_id: int | None, doc_type: str, status: str, day: dt.date, dossier: int | None
) -> Document:
    digest = hashlib.sha256(f"scan-{n}".encode()).hexdigest()
    return Document(
        id=f"{n:032x}",
        sha256=digest,
        source_path=f"/srv/scans/2024/{n:05d}.tif",
        source_name=f"{n:05d}.tif",
        status=status,
        doc_type=doc_type,
        doc_type_confidence=0.93,
        profile="default",
        unit_id=unit_id,
        page_count=2,
        output_path=f"/srv/archive/{digest[:2]}/{n:032x}.pdf",
        output_sha256=hashlib.sha256(f"pdf-{n}".encode()).hexdigest(),
        pdfa_level="2B",
        ocr_engine="tesseract 5.3",
        created_at=dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC),
        dossier_id=dossier,
    )


def fill_store(store: Store) -> dict[str, int]:
    """Three communes of one district, a district, a closed commune, and dossiers.

    Period March–April 2024, expected (received, digitized, reused, awaiting review):
    07210 Trần Phú 4, 2, 2, 1 · 07213 Song Mai 2, 1, 0, 0 · 07216 Đồng Sơn 0 · no unit 1, 0, 0.
    """
    with store.session() as s, s.begin():
        units = {
            "07210": Unit(code="07210", name="Phường Trần Phú", level="commune"),
            "07213": Unit(code="07213", name="Xã Song Mai", level="commune"),
            "07216": Unit(code="07216", name="Xã Đồng Sơn", level="commune"),
            "213": Unit(code="213", name="Thành phố Bắc Giang", level="district"),
            "07219": Unit(
                code="07219",
                name="Xã Dĩnh Trì (cũ)",
                level="commune",
                valid_to=dt.date(2023, 12, 31),
            ),
        }
        s.add_all(units.values())
        s.flush()
        a, b = units["07210"].id, units["07213"].id

        def dossier(code: str, unit: int | None, day: dt.date | None) -> int:
            d = Dossier(
                code=f"000.12.24.H07-{code}",
                procedure="Đăng ký khai sinh",
                unit_id=unit,
                received_on=day,
                status="received",
                origin="receipt",
            )
            s.add(d)
            s.flush()
            return d.id

        d1 = dossier("240304-0001", a, dt.date(2024, 3, 4))
        d2 = dossier("240315-0002", a, dt.date(2024, 3, 15))
        d3 = dossier("240402-0003", a, dt.date(2024, 4, 2))
        d4 = dossier("240420-0004", a, dt.date(2024, 4, 20))
        d5 = dossier("240510-0005", a, dt.date(2024, 5, 10))
        d6 = dossier("NODATE-0006", a, None)
        e1 = dossier("240320-0001", b, dt.date(2024, 3, 20))
        dossier("240328-0002", b, dt.date(2024, 3, 28))
        dossier("240310-0009", None, dt.date(2024, 3, 10))

        earlier = _doc(1, a, "birth_certificate", "registered", dt.date(2023, 6, 1), None)
        s.add_all(
            [
                earlier,
                _doc(2, a, "dossier_receipt", "registered", dt.date(2024, 3, 4), d1),
                _doc(3, a, "application_form", "registered", dt.date(2024, 3, 4), d1),
                _doc(4, a, "dossier_receipt", "registered", dt.date(2024, 3, 15), d2),
                _doc(5, a, "application_form", "needs_review", dt.date(2024, 4, 2), d3),
                _doc(6, a, "dossier_receipt", "registered", dt.date(2024, 5, 10), d5),
                _doc(7, a, "land_use_certificate", "registered", dt.date(2024, 1, 1), d6),
                _doc(8, b, "dossier_receipt", "registered", dt.date(2024, 3, 20), e1),
                _doc(9, b, "application_form", "needs_review", dt.date(2024, 3, 20), e1),
                _doc(10, b, "land_use_certificate", "needs_review", dt.date(2024, 4, 11), None),
            ]
        )
        s.flush()
        for dossier_id in (d1, d4):  # d4 reused the 2023 birth certificate, scanned nothing
            s.add(ReuseEvent(document_id=earlier.id, dossier_id=dossier_id, actor="clerk-lan"))
        s.flush()
        progress.refresh_all(s)  # rows added directly: derive what the store's writes keep
    return {"a": a, "b": b}


@pytest.fixture
def rates_store(store_url: str) -> Iterator[Store]:
    """The small store, once on SQLite and once on PostgreSQL (conftest's ``store_url``)."""
    store = Store(store_url)
    fill_store(store)
    yield store
    store.close()


def _by_code(rows: list) -> dict:  # type: ignore[type-arg]
    return {(r.unit_code, r.month): r for r in rows}


def test_rates_per_commune_for_a_period(rates_store: Store) -> None:
    report = commune_rates(rates_store, date_from=MARCH, date_to=APRIL)
    rows = _by_code(report.rows)
    assert set(rows) == {("07210", None), ("07213", None), ("07216", None), (None, None)}
    a, b, c, none = rows["07210", None], rows["07213", None], rows["07216", None], rows[None, None]
    assert (a.received, a.digitized, a.reused, a.awaiting_review) == (4, 2, 2, 1)
    assert (a.digitization_rate, a.reuse_rate) == (0.5, 0.5)
    assert a.unit_name == "Phường Trần Phú"
    # documents digitized in the period, by the commune that scanned them
    assert a.documents_by_type == {
        "dossier_receipt": 2,
        "application_form": 2,
    }
    assert a.documents_awaiting_review == 1
    # a needs_review document next to a registered one: the dossier is digitized
    assert (b.received, b.digitized, b.reused, b.awaiting_review) == (2, 1, 0, 0)
    assert (b.digitization_rate, b.reuse_rate) == (0.5, 0.0)
    assert b.documents_by_type == {
        "dossier_receipt": 1,
        "application_form": 1,
        "land_use_certificate": 1,
    }
    assert b.documents_awaiting_review == 2
    # an open commune with nothing received: a row, no rate (not 0 %)
    assert (c.received, c.digitization_rate, c.reuse_rate) == (0, None, None)
    assert (none.received, none.digitized) == (1, 0)
    assert report.total.received == 7
    assert (report.total.digitized, report.total.reused) == (3, 2)
    assert report.total.digitization_rate == pytest.approx(3 / 7)
    assert report.total.reuse_rate == pytest.approx(2 / 7)


def test_rates_by_month(rates_store: Store) -> None:
    report = commune_rates(rates_store, date_from=MARCH, date_to=APRIL, by_month=True)
    rows = _by_code(report.rows)
    march, april = rows["07210", "2024-03"], rows["07210", "2024-04"]
    assert (march.received, march.digitized, march.reused) == (2, 2, 1)
    assert (april.received, april.digitized, april.reused, april.awaiting_review) == (2, 0, 1, 1)
    assert april.documents_by_type == {"application_form": 1}
    assert ("07216", None) not in rows  # by month: only months with something in them
    trend = {m.month: (m.received, m.digitized, m.reused) for m in report.months()}
    assert trend == {"2024-03": (5, 3, 1), "2024-04": (2, 0, 1)}


def test_open_period_counts_every_dossier_and_one_unit(rates_store: Store) -> None:
    everything = _by_code(commune_rates(rates_store).rows)
    # d5 (May) and d6 (no receipt date) count when there is no period
    assert (everything["07210", None].received, everything["07210", None].digitized) == (6, 4)
    only = commune_rates(rates_store, unit_code="07213", date_from=MARCH, date_to=APRIL)
    assert [(r.unit_code, r.received, r.digitized) for r in only.rows] == [("07213", 2, 1)]
    assert only.total.received == 2


def test_unknown_unit_and_reversed_period_are_errors(rates_store: Store) -> None:
    with pytest.raises(UnknownUnitError, match="99999") as unknown:
        commune_rates(rates_store, unit_code="99999")
    assert unknown.value.exit_code == 2
    with pytest.raises(BadPeriodError, match=r"ends \(2024-03-01\) before it starts"):
        commune_rates(rates_store, date_from=APRIL, date_to=MARCH)


def test_stats_command(store_url: str, tmp_path: Path) -> None:
    store = Store(store_url)
    fill_store(store)
    store.close()
    period = ["--from", "2024-03-01", "--to", "2024-04-30"]

    done = _digitizer(tmp_path, "stats", *period, "--json", url=store_url)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    rows = {r["unit_code"]: r for r in data["rows"]}
    assert rows["07210"]["digitization_rate"] == 0.5
    assert rows["07210"]["documents_by_type"] == {"application_form": 2, "dossier_receipt": 2}
    assert rows["07213"]["reuse_rate"] == 0.0
    assert rows["07216"]["digitization_rate"] is None
    assert data["total"]["received"] == 7 and data["total"]["reused"] == 2

    done = _digitizer(tmp_path, "stats", *period, "--by", "month", url=store_url)
    assert done.returncode == 0, done.stderr
    line = next(ln for ln in done.stdout.splitlines() if "07213" in ln)
    assert "Xã Song Mai" in line and "2024-03" in line
    assert "50.00 %" in line and "0.00 %" in line


def test_stats_command_refuses_bad_input(tmp_path: Path) -> None:
    store = Store(default_url(tmp_path))
    fill_store(store)
    store.close()
    for bad, needle in (
        (["--unit", "99999"], "unknown unit code '99999'"),
        (["--from", "2024-13-01"], "--from '2024-13-01' is not a date"),
    ):
        done = _digitizer(tmp_path, "stats", *bad)
        assert done.returncode == 2, (bad, done.stdout, done.stderr)
        assert needle in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert done.stdout == ""


def test_a_dossiers_progress_follows_registration_review_and_reuse(store_url: str) -> None:
    """The flags the rates read are kept by the store's own writes, not set by hand."""
    store = Store(store_url)
    code = "000.12.24.H07-240315-0001"

    def flags() -> tuple[bool, bool, bool]:
        with store.session() as s:
            d = s.scalars(select(Dossier).where(Dossier.code == code)).one()
            return d.digitized, d.awaiting_review, d.reused

    register = {"profile": "default", "pdfa_level": "2b", "ocr_engine": "t", "unit_id": None}
    store.register(_result("a" * 16, "a", status="needs_review", dossier_code=code), **register)
    assert flags() == (False, True, False)  # signed and stored, data not yet confirmed
    store.register(_result("b" * 16, "b", dossier_code=code), **register)
    assert flags() == (True, False, False)
    with store.session() as s, s.begin():
        dossier = s.scalars(select(Dossier).where(Dossier.code == code)).one()
        record_reuse(s, s.get(Document, "a" * 16), dossier, "clerk-lan")  # type: ignore[arg-type]
    assert flags() == (True, False, True)
    report = commune_rates(store)
    assert (report.total.received, report.total.digitized, report.total.reused) == (1, 1, 1)
    store.close()


def _digitizer(home: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_digitizer(home, *args, db_url=url, timeout=120)
