"""Document understanding accuracy: the real pipeline on generated documents it never saw.

    .venv/bin/python -m benchmarks.bench_understanding [--count 90] [--seed 4242] [--keep DIR]
        [--wordings schema|unseen]

Generates an evaluation set with a seed no test uses (every type, ``unknown`` pages, every
degradation of the generator), runs ``digitizer process`` end to end, and prints:

* doc-type accuracy (target >= 99 %) and the confusion matrix;
* field exact-match accuracy after normalisation, over every truth field (>= 97 %);
* the share of truth fields auto-accepted as ``ok`` (>= 85 %) and their precision
  (>= 99.5 %), plus values marked ``ok`` that the truth does not have;
* the worst fields, and every wrong value marked ``ok`` (the costliest error).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from benchmarks.common import generate, run_pipeline


def same(got: object, want: object) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        try:
            return abs(float(got) - float(want)) < 1e-6  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    return str(got) == str(want)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--count", type=int, default=90)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", type=Path, help="keep the generated set and outputs here")
    ap.add_argument("--misses", action="store_true", help="print every field not exactly right")
    ap.add_argument(
        "--wordings",
        choices=("schema", "unseen"),
        default="schema",
        help="unseen: the known types printed with labels no schema lists",
    )
    args = ap.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    work = args.keep or Path(tempfile.mkdtemp(prefix="digitizer-understanding-"))
    scans, home = work / "scans", work / "home"
    if home.exists():
        shutil.rmtree(home)
    if not scans.exists():
        generate(scans, args.count, args.seed, args.wordings)
    seconds, rows = run_pipeline(scans, home, args.workers)

    confusion: Counter[tuple[str, str]] = Counter()
    type_right = 0
    fields_total = exact = auto = auto_right = extra_ok = 0
    misses: Counter[str] = Counter()
    wrong_ok: list[str] = []
    every_miss: list[str] = []
    for row in rows:
        truth = json.loads(Path(str(row["source"])).with_suffix(".truth.json").read_text())
        got_type = str(row["doc_type"])
        confusion[(truth["doc_type"], got_type)] += 1
        type_right += got_type == truth["doc_type"]
        fields: dict[str, dict[str, object]] = row["fields"]  # type: ignore[assignment]
        for name, want in truth["fields"].items():
            fields_total += 1
            got = fields.get(name) if got_type == truth["doc_type"] else None
            right = got is not None and same(got["value"], want)
            exact += right
            if got is not None and got["status"] == "ok":
                auto += 1
                auto_right += right
                if not right:
                    wrong_ok.append(
                        f"{Path(str(row['source'])).name} {name}: {got['value']!r}, truth {want!r}"
                    )
            if not right:
                misses[f"{truth['doc_type']}.{name}"] += 1
                found = "missing" if got is None else f"{got['value']!r} [{got['status']}]"
                every_miss.append(
                    f"{Path(str(row['source'])).name} {name}: {found}, truth {want!r}"
                )
        for name, got in fields.items():
            if name not in truth["fields"] and got["status"] == "ok":
                extra_ok += 1
                wrong_ok.append(
                    f"{Path(str(row['source'])).name} {name}: {got['value']!r}, "
                    "truth has no such field"
                )
    n = len(rows)
    pages = sum(len(r["pages"]) for r in rows)  # type: ignore[arg-type, misc]
    print(
        f"{n} documents, {pages} pages, {fields_total} truth fields, "
        f"{seconds:.0f} s ({pages / seconds * 60:.0f} pages/min)"
    )
    print(f"doc-type accuracy      {type_right}/{n} = {100 * type_right / n:.1f} %  (>= 99 %)")
    print(
        f"field exact match      {exact}/{fields_total} = "
        f"{100 * exact / fields_total:.1f} %  (>= 97 %)"
    )
    print(
        f"auto-accepted (ok)     {auto}/{fields_total} = "
        f"{100 * auto / fields_total:.1f} %  (>= 85 %)"
    )
    ok_total = auto + extra_ok
    print(
        f"precision of ok        {auto_right}/{ok_total} = "
        f"{100 * auto_right / max(ok_total, 1):.2f} %  (>= 99.5 %)"
    )
    types = sorted({t for pair in confusion for t in pair})
    print("\nconfusion matrix (rows: truth, columns: found)")
    short = {t: t[:8] for t in types}
    print(" " * 32 + " ".join(f"{short[t]:>8}" for t in types))
    for want in types:
        print(f"{want:32}" + " ".join(f"{confusion[(want, got)] or '.':>8}" for got in types))
    print("\nworst fields (not exactly right)")
    for name, count in misses.most_common(12):
        print(f"  {count:3}  {name}")
    if args.misses:
        print("\nevery field not exactly right")
        for line in every_miss:
            print(f"  {line}")
    print(f"\nwrong values marked ok: {len(wrong_ok)}")
    for line in wrong_ok:
        print(f"  {line}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
