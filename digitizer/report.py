"""``digitizer report --html``: the rates per commune as one offline HTML page.

Why one self-contained file: a department head opens it from an e-mail or a USB stick on an
office PC that may have no Internet, so everything is inline: the CSS (``data/report.css``),
and the charts as SVG drawn here in Python (no JavaScript, no CDN). Labels are Vietnamese
with the English beside them; numbers use the Vietnamese decimal comma ("85,40 %").

Every bar and point carries ``data-unit`` / ``data-month`` and ``data-rate`` so that a test
(or a script) can read back what is drawn.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from dataclasses import dataclass
from pathlib import Path

from digitizer.store.rates import CommuneRates, RatesReport, commune_rates
from digitizer.store.store import Store

log = logging.getLogger(__name__)

_CSS = Path(__file__).resolve().parent / "data" / "report.css"

DOC_TYPE_LABELS = {
    "birth_certificate": "Giấy khai sinh",
    "marriage_certificate": "Giấy chứng nhận kết hôn",
    "death_certificate": "Trích lục khai tử",
    "land_use_certificate": "Giấy chứng nhận QSDĐ",
    "business_household_registration": "Đăng ký hộ kinh doanh",
    "construction_permit": "Giấy phép xây dựng",
    "application_form": "Đơn / tờ khai",
    "dossier_receipt": "Giấy tiếp nhận hồ sơ",
    "unknown": "Khác",
}

# bar chart geometry (px in the SVG's own coordinates)
_LABEL_W, _PLOT_W, _VALUE_W = 230, 520, 70
_BAR_H, _GROUP_H, _TOP = 10, 30, 28
# trend chart geometry
_T_W, _T_H, _T_LEFT, _T_TOP, _T_BOTTOM = 800, 300, 50, 20, 50


@dataclass(frozen=True)
class ReportFile:
    """What ``write_report`` wrote: for the CLI's summary line and ``--json`` (``months``:
    the points of the trend, i.e. months in which dossiers were received)."""

    path: Path
    units: int
    months: int
    total: CommuneRates


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def percent(rate: float | None) -> str:
    """A rate as Vietnamese text: 0.854 -> "85,40 %"; no dossiers -> "—"."""
    if rate is None:
        return "—"
    return f"{100 * rate:.2f}".replace(".", ",") + " %"


def number(n: int) -> str:
    """Thousands with a dot, as Vietnamese documents print them: 1234567 -> "1.234.567"."""
    return f"{n:,}".replace(",", ".")


def _unit_label(row: CommuneRates) -> str:
    if row.unit_code is None and row.unit_name is None:
        return "(chưa rõ đơn vị / no unit)"
    return f"{row.unit_name or ''} ({row.unit_code})" if row.unit_code else str(row.unit_name)


def rate_bars(rows: list[CommuneRates]) -> str:
    """Horizontal bars, two per unit (digitization, reuse), on a 0–100 % axis."""
    height = _TOP + _GROUP_H * max(len(rows), 1) + 24
    width = _LABEL_W + _PLOT_W + _VALUE_W
    parts = [
        f'<svg class="chart rates" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="Tỷ lệ số hóa và tái sử dụng theo xã">'
    ]
    for tick in range(0, 101, 25):
        x = _LABEL_W + _PLOT_W * tick / 100
        parts.append(
            f'<line class="grid" x1="{x:.1f}" y1="{_TOP - 6}" x2="{x:.1f}" '
            f'y2="{height - 20}"/><text x="{x:.1f}" y="{_TOP - 10}" '
            f'text-anchor="middle">{tick} %</text>'
        )
    for i, row in enumerate(rows):
        y = _TOP + i * _GROUP_H
        label = _unit_label(row)
        parts.append(
            f'<text x="{_LABEL_W - 8}" y="{y + _BAR_H + 5}" text-anchor="end">{esc(label)}</text>'
        )
        if not row.received:
            parts.append(
                f'<text class="none" x="{_LABEL_W + 4}" y="{y + _BAR_H + 5}" '
                f'data-unit="{esc(row.unit_code or "")}">'
                "không có hồ sơ / no dossiers</text>"
            )
            continue
        for j, (kind, rate) in enumerate(
            (("digitization", row.digitization_rate or 0.0), ("reuse", row.reuse_rate or 0.0))
        ):
            by = y + j * (_BAR_H + 1)
            w = _PLOT_W * rate
            parts.append(
                f'<rect class="bar {kind}" x="{_LABEL_W}" y="{by}" width="{w:.2f}" '
                f'height="{_BAR_H}" data-unit="{esc(row.unit_code or "")}" '
                f'data-rate="{rate:.6f}"><title>{esc(label)}: {percent(rate)}</title></rect>'
                f'<text x="{_LABEL_W + w + 4:.2f}" y="{by + _BAR_H - 1}" '
                f'font-size="10">{percent(rate)}</text>'
            )
    parts.append(
        f'<line class="axis" x1="{_LABEL_W}" y1="{_TOP - 6}" x2="{_LABEL_W}" y2="{height - 20}"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def trend_lines(months: list[CommuneRates]) -> str:
    """Both rates month by month (all units together), a line each."""
    plot_w = _T_W - _T_LEFT - 40
    plot_h = _T_H - _T_TOP - _T_BOTTOM
    parts = [
        f'<svg class="chart trend" viewBox="0 0 {_T_W} {_T_H}" width="{_T_W}" height="{_T_H}" '
        'role="img" aria-label="Xu hướng theo tháng">'
    ]
    for tick in range(0, 101, 25):
        y = _T_TOP + plot_h * (1 - tick / 100)
        parts.append(
            f'<line class="grid" x1="{_T_LEFT}" y1="{y:.1f}" x2="{_T_LEFT + plot_w}" '
            f'y2="{y:.1f}"/><text x="{_T_LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{tick} %</text>'
        )
    points = [m for m in months if m.received]
    if not points:
        parts.append(
            f'<text class="none" x="{_T_W / 2}" y="{_T_H / 2}" text-anchor="middle">'
            "chưa có dữ liệu theo tháng / no monthly data</text></svg>"
        )
        return "".join(parts)
    step = plot_w / max(len(points) - 1, 1)

    def xy(i: int, rate: float) -> tuple[float, float]:
        x = _T_LEFT + (i * step if len(points) > 1 else plot_w / 2)
        return x, _T_TOP + plot_h * (1 - rate)

    every = max(1, len(points) // 12)  # at most ~12 month labels under the axis
    for i, m in enumerate(points):
        x, _ = xy(i, 0.0)
        if i % every == 0 or i == len(points) - 1:
            parts.append(
                f'<text x="{x:.1f}" y="{_T_TOP + plot_h + 18}" text-anchor="middle">'
                f"{esc(m.month)}</text>"
            )
    for kind in ("digitization", "reuse"):
        rates = [
            (m.digitization_rate if kind == "digitization" else m.reuse_rate) or 0.0 for m in points
        ]
        coords = [xy(i, r) for i, r in enumerate(rates)]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline class="trend {kind}" points="{path}"/>')
        for (x, y), r, m in zip(coords, rates, points, strict=True):
            parts.append(
                f'<circle class="dot {kind}" cx="{x:.1f}" cy="{y:.1f}" r="4" '
                f'data-month="{esc(m.month)}" data-rate="{r:.6f}">'
                f"<title>{esc(m.month)}: {percent(r)}</title></circle>"
            )
    parts.append(
        f'<line class="axis" x1="{_T_LEFT}" y1="{_T_TOP + plot_h}" x2="{_T_LEFT + plot_w}" '
        f'y2="{_T_TOP + plot_h}"/></svg>'
    )
    return "".join(parts)


def _types_text(row: CommuneRates) -> str:
    return ", ".join(
        f"{DOC_TYPE_LABELS.get(t, t)}: {number(n)}"
        for t, n in sorted(row.documents_by_type.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _table(rows: list[CommuneRates], total: CommuneRates) -> str:
    head = (
        "<tr><th>Đơn vị <span class='en'>Unit</span></th>"
        "<th>Hồ sơ tiếp nhận <span class='en'>Received</span></th>"
        "<th>Đã số hóa <span class='en'>Digitized</span></th>"
        "<th>Tỷ lệ số hóa <span class='en'>Digitization rate</span></th>"
        "<th>Tái sử dụng <span class='en'>Reused</span></th>"
        "<th>Tỷ lệ tái sử dụng <span class='en'>Reuse rate</span></th>"
        "<th>Tài liệu chờ duyệt <span class='en'>Awaiting review</span></th>"
        "<th>Tài liệu theo loại <span class='en'>Documents by type</span></th></tr>"
    )
    body = []
    for row, cls in [*((r, "unit") for r in rows), (total, "total")]:
        body.append(
            f"<tr class='{cls}' data-unit='{esc(row.unit_code or '')}'>"
            f"<td>{esc(_unit_label(row) if cls == 'unit' else row.unit_name)}</td>"
            f"<td class='num'>{number(row.received)}</td>"
            f"<td class='num'>{number(row.digitized)}</td>"
            f"<td class='num rate-digitization'>{percent(row.digitization_rate)}</td>"
            f"<td class='num'>{number(row.reused)}</td>"
            f"<td class='num rate-reuse'>{percent(row.reuse_rate)}</td>"
            f"<td class='num'>{number(row.documents_awaiting_review)}</td>"
            f"<td class='types'>{esc(_types_text(row))}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def _period_text(report: RatesReport) -> str:
    start = report.date_from.strftime("%d/%m/%Y") if report.date_from else "…"
    end = report.date_to.strftime("%d/%m/%Y") if report.date_to else "…"
    if report.date_from is None and report.date_to is None:
        return "Toàn bộ thời gian / all time"
    return f"Từ {start} đến {end} / from {start} to {end}"


def render_html(by_unit: RatesReport, by_month: RatesReport, generated: dt.datetime) -> str:
    """The page: summary cards, bars per unit, trend per month, the table, the rules."""
    total = by_unit.total
    scope = f" — {esc(by_unit.unit_code)}" if by_unit.unit_code else ""
    cards = (
        "<div class='cards'>"
        f"<div class='card'><div>Hồ sơ tiếp nhận <span class='en'>Dossiers received</span></div>"
        f"<div class='value' id='total-received'>{number(total.received)}</div></div>"
        f"<div class='card dig'><div>Tỷ lệ số hóa <span class='en'>Digitization rate</span></div>"
        f"<div class='value' id='total-digitization'>{percent(total.digitization_rate)}</div></div>"
        f"<div class='card reuse'><div>Tỷ lệ tái sử dụng <span class='en'>Reuse rate</span></div>"
        f"<div class='value' id='total-reuse'>{percent(total.reuse_rate)}</div></div>"
        f"<div class='card'><div>Tài liệu chờ duyệt <span class='en'>Awaiting review</span></div>"
        f"<div class='value'>{number(total.documents_awaiting_review)}</div></div></div>"
    )
    legend = (
        "<p class='legend'><span class='dig'><i></i>Tỷ lệ số hóa (digitization)</span>"
        "<span class='reuse'><i></i>Tỷ lệ tái sử dụng (reuse)</span></p>"
    )
    note = (
        "<p class='note'><b>Tỷ lệ số hóa</b> = hồ sơ tiếp nhận trong kỳ có ít nhất một tài liệu "
        "đã số hóa, ký số và lưu trữ với dữ liệu đã xác nhận (trạng thái <i>registered</i>) ÷ "
        "hồ sơ tiếp nhận. Tài liệu còn chờ cán bộ kiểm tra (<i>needs_review</i>) chưa được tính "
        "cho đến khi được xác nhận. <b>Tỷ lệ tái sử dụng</b> = hồ sơ trong kỳ đã sử dụng lại "
        "tài liệu, dữ liệu đã số hóa ÷ hồ sơ tiếp nhận. Kỳ báo cáo tính theo ngày tiếp nhận hồ "
        "sơ.<br><span class='en'>Digitization rate: dossiers received in the period with at "
        "least one registered (signed, stored, data confirmed) document ÷ dossiers received; "
        "documents awaiting review count once a clerk confirms them. Reuse rate: dossiers that "
        "reused already digitized documents or data ÷ dossiers received.</span></p>"
    )
    css = _CSS.read_text(encoding="utf-8")
    return (
        "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Báo cáo tỷ lệ số hóa và tái sử dụng — Digitization report</title>"
        f"<style>{css}</style></head><body>"
        "<header><h1>Báo cáo tỷ lệ số hóa hồ sơ và tái sử dụng dữ liệu số hóa"
        f"{scope}</h1><div class='en'>Digitization and reuse rates per commune</div>"
        f"<p class='meta' id='period'>{esc(_period_text(by_unit))} · "
        f"Lập lúc / generated {generated:%d/%m/%Y %H:%M}</p></header><main>"
        f"<section id='summary'><h2>Tổng hợp <span class='en'>Summary</span></h2>{cards}"
        "</section>"
        "<section id='per-unit'><h2>Tỷ lệ theo xã, phường <span class='en'>Rates per "
        f"commune</span></h2>{legend}{rate_bars(by_unit.rows)}</section>"
        "<section id='per-month'><h2>Xu hướng theo tháng <span class='en'>Trend per month"
        f"</span></h2>{legend}{trend_lines(by_month.months())}</section>"
        "<section id='table'><h2>Số liệu chi tiết <span class='en'>Figures</span></h2>"
        f"{_table(by_unit.rows, total)}{note}</section>"
        "</main></body></html>\n"
    )


def write_report(
    store: Store,
    path: Path,
    *,
    unit_code: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> ReportFile:
    """Compute the rates (per unit, and per month for the trend) and write the page."""
    by_unit = commune_rates(store, unit_code=unit_code, date_from=date_from, date_to=date_to)
    by_month = commune_rates(
        store, unit_code=unit_code, date_from=date_from, date_to=date_to, by_month=True
    )
    page = render_html(by_unit, by_month, dt.datetime.now().astimezone())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    log.info("report: %s (%d bytes)", path, len(page))
    trend = [m for m in by_month.months() if m.received]
    return ReportFile(path, len(by_unit.rows), len(trend), by_unit.total)
