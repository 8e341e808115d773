"""Document type schemas: one TOML file per type in ``schemas/``.

A schema says how to recognise its type (title variants, cues, titles that look alike but
mean another type) and, for each field, the label variants forms used over the years, the
value type (which picks the normalizer and how the value is cut out of its line), and the
checks. An office adds a type by adding a file; a broken file stops start-up with one line
naming the file and the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digitizer.config import read_toml
from digitizer.errors import ConfigurationError

FIELD_TYPES = (
    "name",
    "date",
    "personal_id",
    "number",
    "area",
    "money",
    "phone",
    "code",
    "text",
    "gender",
)
# Where a value may come from besides "after its label".
ANCHORS = ("place_date", "alone")
# Page layouts whose zones give fields without labels (a field names its ``zone``).
LAYOUT_ZONES: dict[str, tuple[str, ...]] = {
    "decree30": (
        "document_kind",
        "number",
        "issue_date",
        "place",
        "issuing_authority",
        "parent_authority",
        "summary",
        "signer_authority_line",
        "signer_position",
        "signer_name",
        "recipients",
        "urgency",
    ),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: str
    labels: tuple[str, ...]
    section_labels: tuple[str, ...] = ()  # generic labels, valid only inside ``section``
    required: bool = False
    section: str | None = None
    opens_section: str | None = None
    # place_date: "<Place>, ngày .. tháng .. năm .."; alone: a line that is only the value
    anchor: str | None = None
    capture: re.Pattern[str] | None = None  # cut the value out of the text after the label
    pattern: re.Pattern[str] | None = None  # the normalised value must match
    min_value: float | None = None
    max_value: float | None = None
    multiline: bool = False
    qr: bool = False  # a decoded QR/barcode value may give this field
    same_person: str | None = None  # personal_id: check against this prefix's dob/gender
    # phrases always spelled so ("HỘ KINH DOANH"): a reading with their letters but other
    # accents ("HỒ KINH DOANH") gets this spelling
    spellings: tuple[str, ...] = ()
    # the values a field may have (a legal list: land-use purposes): a reading with a
    # choice's letters gets its spelling, a reading that is none of them goes to review
    choices: tuple[str, ...] = ()
    zone: str | None = None  # the zone of the schema's layout that holds the value


@dataclass(frozen=True, slots=True)
class SectionSpec:
    name: str
    headings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DocumentSchema:
    doc_type: str
    version: int
    source: Path
    titles: tuple[str, ...]
    title_prefixes: tuple[str, ...]  # a title line that starts so ("ĐƠN ĐỀ NGHỊ …")
    cues: tuple[str, ...]
    excludes: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    sections: tuple[SectionSpec, ...] = ()
    min_confidence: float = 0.8
    # headings after which the document records later events, not its own fields
    # ("Những thay đổi sau khi cấp giấy chứng nhận": a later area, a new map sheet)
    ignore_after: tuple[str, ...] = ()
    # the field that identifies the document (a certificate's serial, a person's ID): a new
    # scan with the same type and key is a re-scan of a registered document (reuse)
    key: str | None = None
    # a page layout fixed by law ("decree30"): recognised by its zones, fields read from them
    layout: str | None = None

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


@dataclass(frozen=True, slots=True)
class SchemaSet:
    """All schemas of an installation, plus labels shared by all forms (value stoppers)."""

    schemas: tuple[DocumentSchema, ...]
    stop_labels: tuple[str, ...] = field(default=())

    def get(self, doc_type: str) -> DocumentSchema | None:
        return next((s for s in self.schemas if s.doc_type == doc_type), None)

    @property
    def fingerprint(self) -> str:
        return ",".join(f"{s.doc_type}:{s.version}" for s in self.schemas)


def _err(path: Path, where: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"{path}: {where}: {problem}")


def _strings(path: Path, where: str, value: Any, *, required: bool = False) -> tuple[str, ...]:
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _err(path, where, "must be a list of non-empty strings")
    if required and not value:
        raise _err(path, where, "must not be empty")
    return tuple(value)


def _regex(path: Path, where: str, value: Any) -> re.Pattern[str] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _err(path, where, "must be a regular expression string")
    try:
        return re.compile(value)
    except re.error as exc:
        raise _err(path, where, f"invalid regular expression: {exc}") from exc


_FIELD_KEYS = {
    "name",
    "choices",
    "spellings",
    "type",
    "labels",
    "section_labels",
    "required",
    "section",
    "opens_section",
    "anchor",
    "capture",
    "pattern",
    "min",
    "max",
    "multiline",
    "qr",
    "same_person",
    "zone",
}


def _field(
    path: Path, index: int, raw: Any, sections: set[str], zones: tuple[str, ...]
) -> FieldSpec:
    where = f"fields[{index}]"
    if not isinstance(raw, dict):
        raise _err(path, where, "must be a table")
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise _err(path, where, f"unknown key(s) {', '.join(sorted(unknown))}")
    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise _err(path, where, "'name' must be a snake_case field name")
    where = f"field '{name}'"
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        raise _err(path, where, f"'type' must be one of {', '.join(FIELD_TYPES)}")
    anchor = raw.get("anchor")
    if anchor is not None and anchor not in ANCHORS:
        raise _err(path, where, f"'anchor' must be one of {', '.join(ANCHORS)}")
    zone = raw.get("zone")
    if zone is not None and zone not in zones:
        known = ", ".join(zones) or "none: set recognition.layout"
        raise _err(path, where, f"'zone' must be one of the layout's zones ({known})")
    labels = _strings(path, f"{where}.labels", raw.get("labels"))
    section_labels = _strings(path, f"{where}.section_labels", raw.get("section_labels"))
    if anchor is None and zone is None and not labels and not section_labels:
        raise _err(path, where, "needs 'labels' (or 'section_labels', an 'anchor' or a 'zone')")
    if section_labels and raw.get("section") is None:
        raise _err(path, where, "'section_labels' need a 'section'")
    for key in ("section", "opens_section"):
        if raw.get(key) is not None and raw[key] not in sections:
            raise _err(path, where, f"'{key}' names no section of [[sections]]")
    bounds = []
    for key in ("min", "max"):
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise _err(path, where, f"'{key}' must be a number")
        bounds.append(None if value is None else float(value))
    return FieldSpec(
        name=name,
        type=ftype,
        labels=labels,
        section_labels=section_labels,
        required=bool(raw.get("required", False)),
        section=raw.get("section"),
        opens_section=raw.get("opens_section"),
        anchor=anchor,
        capture=_regex(path, f"{where}.capture", raw.get("capture")),
        pattern=_regex(path, f"{where}.pattern", raw.get("pattern")),
        min_value=bounds[0],
        max_value=bounds[1],
        multiline=bool(raw.get("multiline", False)),
        qr=bool(raw.get("qr", False)),
        same_person=raw.get("same_person"),
        spellings=_strings(path, f"{where}.spellings", raw.get("spellings")),
        choices=_strings(path, f"{where}.choices", raw.get("choices")),
        zone=zone,
    )


def load_schema(path: Path) -> DocumentSchema:
    data = read_toml(path)
    doc_type = data.get("doc_type")
    if doc_type != path.stem:
        raise _err(path, "doc_type", f"must be '{path.stem}', the file's name")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _err(path, "version", "must be a positive integer")
    recognition = data.get("recognition", {})
    if not isinstance(recognition, dict):
        raise _err(path, "recognition", "must be a table")
    sections = []
    for i, raw in enumerate(data.get("sections", [])):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise _err(path, f"sections[{i}]", "needs a 'name'")
        sections.append(
            SectionSpec(raw["name"], _strings(path, f"sections[{i}].headings", raw.get("headings")))
        )
    names = {s.name for s in sections}
    layout = recognition.get("layout")
    if layout is not None and layout not in LAYOUT_ZONES:
        raise _err(path, "recognition.layout", f"must be one of {', '.join(LAYOUT_ZONES)}")
    zones = LAYOUT_ZONES.get(layout, ()) if layout is not None else ()
    raw_fields = data.get("fields", [])
    if not isinstance(raw_fields, list) or not raw_fields:
        raise _err(path, "fields", "must list at least one [[fields]] table")
    fields = tuple(_field(path, i, raw, names, zones) for i, raw in enumerate(raw_fields))
    seen: set[str] = set()
    for spec in fields:
        if spec.name in seen:
            raise _err(path, f"field '{spec.name}'", "is defined twice")
        seen.add(spec.name)
    key = data.get("key")
    if key is not None and key not in seen:
        raise _err(path, "key", f"must name one of its fields (got {key!r})")
    extraction = data.get("extraction", {})
    if not isinstance(extraction, dict) or set(extraction) - {"ignore_after"}:
        raise _err(path, "extraction", "must be a table with only 'ignore_after'")
    review = data.get("review", {})
    min_conf = review.get("min_confidence", 0.8) if isinstance(review, dict) else 0.8
    if not isinstance(min_conf, int | float) or not 0 < float(min_conf) <= 1:
        raise _err(path, "review.min_confidence", "must be a number in (0, 1]")
    return DocumentSchema(
        doc_type=doc_type,
        version=version,
        source=path,
        titles=_strings(path, "recognition.titles", recognition.get("titles"), required=True),
        title_prefixes=_strings(
            path, "recognition.title_prefixes", recognition.get("title_prefixes")
        ),
        cues=_strings(path, "recognition.cues", recognition.get("cues")),
        excludes=_strings(path, "recognition.excludes", recognition.get("excludes")),
        fields=fields,
        sections=tuple(sections),
        min_confidence=float(min_conf),
        ignore_after=_strings(path, "extraction.ignore_after", extraction.get("ignore_after")),
        key=key,
        layout=layout,
    )


def load_schemas(folder: Path) -> SchemaSet:
    """Every ``*.toml`` in ``folder``; ``_common.toml`` holds the shared stop labels."""
    if not folder.is_dir():
        raise ConfigurationError(f"no schemas folder at {folder}")
    schemas = tuple(
        load_schema(p) for p in sorted(folder.glob("*.toml")) if not p.name.startswith("_")
    )
    if not schemas:
        raise ConfigurationError(f"{folder}: no schema files (*.toml)")
    stop: tuple[str, ...] = ()
    common = folder / "_common.toml"
    if common.exists():
        data = read_toml(common)
        stop = _strings(common, "stop_labels", data.get("stop_labels"))
    return SchemaSet(schemas, stop)
