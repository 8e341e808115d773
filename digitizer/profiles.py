"""Scanner profiles: one TOML file per scanner or workstation in ``scanner_profiles/``.

A profile says how a workstation's scans are to be read, which pipeline runs, which unit
(commune) the office is, and which certificate signs. Loading validates every key and names
the file and the key in its one-line error, because the people who edit these files are
office IT, not developers.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from digitizer.config import read_toml
from digitizer.errors import ConfigurationError
from digitizer.records import PdfALevel

if TYPE_CHECKING:  # ingest pulls in numpy, pikepdf and poppler's wrapper: not at start-up
    from digitizer.ingest import IngestLimits

ColourPolicy = Literal["keep", "grey", "bw"]

_COLOUR_POLICIES = ("keep", "grey", "bw")
_PDFA_LEVELS = ("1b", "2b")
_ENGINES = ("tesserocr", "cli")
DEMO_KEY = "demo"


@dataclass(frozen=True, slots=True)
class SigningSettings:
    """The ``[signing]`` table: which key signs, and how the signature is made to last.

    ``pkcs12 = "demo"`` uses the demo certificate of ``digitizer keys init``.  When
    ``pkcs11_module`` is set the key lives on a token (USB token, HSM) instead and
    ``pkcs12`` is ignored; the PIN comes from the variable ``pin_env`` or a prompt, and is
    never written anywhere.  ``timestamp_url`` makes signatures PAdES B-T (RFC 3161);
    ``ltv`` adds the chain and revocation data (B-LT) when OCSP/CRL answer.
    ``trust_roots`` are PEM/DER CA certificates that signatures and timestamps must chain to
    (for ``ltv`` and ``digitizer verify``); ``chain`` are intermediate certificates to embed
    when the token does not hold them.

    ``visible_stamp`` puts a stamp on page 1: "Ký bởi: <stamp_office>", the signing time
    and a QR code of the document id (the lookup code).  ``stamp_office`` defaults to the
    profile's ``unit_name``.  The box is ``stamp_width_mm`` x ``stamp_height_mm``,
    ``stamp_margin_mm`` from the page edges at ``stamp_position``; the default (75 x 16 mm,
    3 mm from the bottom-right corner) sits inside the 20 mm bottom margin that
    administrative documents keep (Nghị định 30/2020), so it covers no text.
    """

    pkcs12: str
    password_env: str
    password_file: str
    reason: str
    location: str
    pkcs11_module: str = ""
    token_label: str = ""
    key_label: str = ""
    pin_env: str = "DIGITIZER_TOKEN_PIN"
    chain: tuple[str, ...] = ()
    timestamp_url: str = ""
    ltv: bool = False
    trust_roots: tuple[str, ...] = ()
    visible_stamp: bool = False
    stamp_office: str = ""
    stamp_position: str = "bottom-right"
    stamp_width_mm: float = 75.0
    stamp_height_mm: float = 16.0
    stamp_margin_mm: float = 3.0

    @property
    def uses_demo_key(self) -> bool:
        return self.pkcs12 == DEMO_KEY and not self.uses_token

    @property
    def uses_token(self) -> bool:
        return bool(self.pkcs11_module)

    def pkcs12_path(self, home: Path) -> Path:
        return (
            home / "keys" / "demo-signer.p12" if self.uses_demo_key else _expand(self.pkcs12, home)
        )

    def module_path(self, home: Path) -> Path:
        return _expand(self.pkcs11_module, home)

    def chain_paths(self, home: Path) -> tuple[Path, ...]:
        return tuple(_expand(p, home) for p in self.chain)

    def trust_root_paths(self, home: Path) -> tuple[Path, ...]:
        """The profile's trust roots, plus the demo CA when it exists (it signs demo files)."""
        demo_ca = home / "keys" / "demo-ca.pem"
        extra = (demo_ca,) if demo_ca.is_file() else ()
        return tuple(_expand(p, home) for p in self.trust_roots) + extra

    def trust_root_certificates(self, home: Path) -> list[Any]:
        """The trust roots, loaded (asn1crypto): what signatures, timestamps and the audit
        seal must chain to, for verify, check, review, reindex and merge alike."""
        from digitizer.timestamping import load_certificates  # heavy: pyHanko

        return list(load_certificates(self.trust_root_paths(home)))

    def password(self, home: Path) -> bytes | None:
        """The PKCS#12 password: environment variable first, then the password file."""
        if self.password_env and self.password_env in os.environ:
            return os.environ[self.password_env].encode()
        file = (
            home / "keys" / "demo-signer.password"
            if self.uses_demo_key and not self.password_file
            else (_expand(self.password_file, home) if self.password_file else None)
        )
        if file is None:
            return None
        try:
            return file.read_text(encoding="utf-8").strip().encode()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read the certificate password file {file}: {exc.strerror}"
            ) from exc


@dataclass(frozen=True, slots=True)
class HotFolderSettings:
    """Where a workstation's scanner drops files, and how to tell a file is complete.

    ``polling``: network shares (SMB/NFS) deliver no native file events, so they are
    polled. ``settle_seconds``: a file is taken only when its size and mtime stayed put this
    long *and* it opens as a whole image or PDF (scanners pause mid-file).
    """

    paths: tuple[Path, ...]
    polling: bool
    poll_seconds: float
    settle_seconds: float


@dataclass(frozen=True, slots=True)
class OriginalsSettings:
    """What becomes of an original once its result is durable: moved to
    ``processed/YYYY/MM/DD/`` or kept where it is; a failed one goes to ``failed/`` with a
    ``.error.txt`` beside it. Nothing is ever deleted."""

    after_success: Literal["move", "keep"]
    processed: Path
    failed: Path


@dataclass(frozen=True, slots=True)
class StackSettings:
    """How the files of a hot folder make documents.

    ``file``: one file is one document (scanners that write a multi-page PDF or TIFF).
    ``pages``: the scanner writes one file per page; a stack of pages is cut into documents
    at separator sheets (a page whose barcode or QR matches ``separator_codes``; the sheet
    itself is left out of the PDF) and, if ``receipt_starts_dossier``, at a dossier receipt
    page (its QR is a dossier code: the documents behind it belong to that dossier). A stack
    is complete when no page has arrived for ``window_seconds``; without separators the whole
    stack is one document.
    """

    mode: Literal["file", "pages"]
    separator_codes: tuple[re.Pattern[str], ...]
    receipt_starts_dossier: bool
    window_seconds: float


@dataclass(frozen=True, slots=True)
class ScannerProfile:
    name: str
    source: Path
    description: str
    pipeline: str
    unit_code: str
    unit_name: str
    default_dpi: float
    languages: tuple[str, ...]
    ocr_engine: Literal["tesserocr", "cli"]
    colour: ColourPolicy
    pdfa_level: PdfALevel
    jpeg_quality: int
    max_page_pixels: int
    max_pages: int
    min_free_mb: int  # free space the home must have before each file (0: not checked)
    max_file_mb: int  # larger input files are refused before they are even hashed
    signing: SigningSettings
    hot_folder: HotFolderSettings
    originals: OriginalsSettings
    blank_pages: Literal["keep", "drop"]
    stacks: StackSettings

    def ingest_limits(self) -> IngestLimits:
        from digitizer.ingest import IngestLimits

        return IngestLimits(
            default_dpi=self.default_dpi,
            max_page_pixels=self.max_page_pixels,
            max_pages=self.max_pages,
        )


# Patch-T sheets of document scanners, and the office's own printed "TÁCH HỒ SƠ" sheets
_SEPARATOR_CODES = r"^(PATCH ?T|SEPARATOR|TACH|TÁCH)( .*)?$"


def _expand(value: str, home: Path) -> Path:
    return Path(os.path.expandvars(value.replace("${DIGITIZER_HOME}", str(home)))).expanduser()


class _Reader:
    """Typed access to a TOML table that reports ``file: key: problem``."""

    def __init__(self, source: Path, data: dict[str, Any], prefix: str = "") -> None:
        self.source, self.data, self.prefix = source, data, prefix

    def fail(self, key: str, problem: str) -> ConfigurationError:
        return ConfigurationError(f"{self.source}: '{self.prefix}{key}' {problem}")

    def table(self, key: str) -> _Reader:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return _Reader(self.source, value, f"{self.prefix}{key}.")

    def str_(self, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self.fail(key, "is required")
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {type(value).__name__}")
        if choices and value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)} (got '{value}')")
        return value

    def int_(self, key: str, default: int, low: int, high: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, "must be a number")
        if not low <= value <= high:
            raise self.fail(key, f"must be between {low} and {high} (got {value})")
        return int(value)

    def str_list(
        self, key: str, default: list[str], *, allow_empty: bool = False
    ) -> tuple[str, ...]:
        value = self.data.get(key, default)
        if (
            not isinstance(value, list)
            or (not value and not allow_empty)
            or not all(isinstance(v, str) and v for v in value)
        ):
            raise self.fail(key, "must be a non-empty list of strings")
        return tuple(value)

    def patterns(self, key: str, default: list[str]) -> tuple[re.Pattern[str], ...]:
        out = []
        for text in self.str_list(key, default, allow_empty=True):
            try:
                out.append(re.compile(text))
            except re.error as exc:
                raise self.fail(key, f"has a bad regular expression '{text}': {exc}") from exc
        return tuple(out)

    def bool_(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def reject_unknown(self, known: set[str]) -> None:
        for key in self.data:
            if key not in known:
                raise self.fail(key, "is not a known setting (typo?)")


def load_profile(path: Path) -> ScannerProfile:
    """Read and validate one profile file."""
    r = _Reader(path, read_toml(path))
    r.reject_unknown(
        {
            "name",
            "description",
            "pipeline",
            "unit_code",
            "unit_name",
            "default_dpi",
            "languages",
            "colour",
            "pdfa_level",
            "jpeg_quality",
            "ocr",
            "limits",
            "signing",
            "hot_folder",
            "originals",
            "blank_pages",
            "stacks",
        }
    )
    unit_code = r.str_("unit_code", "")
    if unit_code and not unit_code.isdigit():
        raise r.fail("unit_code", f"must be the unit's numeric code (got '{unit_code}')")
    ocr, limits, signing = r.table("ocr"), r.table("limits"), r.table("signing")
    ocr.reject_unknown({"engine"})
    limits.reject_unknown({"max_page_pixels", "max_pages", "min_free_mb", "max_file_mb"})
    signing.reject_unknown(_SIGNING_KEYS)
    hot, originals = r.table("hot_folder"), r.table("originals")
    hot.reject_unknown({"paths", "polling", "poll_seconds", "settle_seconds"})
    originals.reject_unknown({"after_success", "processed", "failed"})
    stacks = r.table("stacks")
    stacks.reject_unknown({"mode", "separator_codes", "receipt_starts_dossier", "window_seconds"})
    name = r.str_("name", path.stem)
    if name != path.stem:
        raise r.fail("name", f"must match the file name '{path.stem}'")
    return ScannerProfile(
        name=name,
        source=path,
        description=r.str_("description", ""),
        pipeline=r.str_("pipeline", "process"),
        unit_code=unit_code,
        unit_name=r.str_("unit_name", ""),
        default_dpi=float(r.int_("default_dpi", 300, 72, 1200)),
        languages=r.str_list("languages", ["vie"]),
        ocr_engine=cast(Literal["tesserocr", "cli"], ocr.str_("engine", "tesserocr", _ENGINES)),
        colour=cast(ColourPolicy, r.str_("colour", "keep", _COLOUR_POLICIES)),
        pdfa_level=cast(PdfALevel, r.str_("pdfa_level", "2b", _PDFA_LEVELS)),
        jpeg_quality=r.int_("jpeg_quality", 80, 30, 95),
        max_page_pixels=limits.int_("max_page_pixels", 80_000_000, 1_000_000, 400_000_000),
        max_pages=limits.int_("max_pages", 500, 1, 10_000),
        min_free_mb=limits.int_("min_free_mb", 200, 0, 10_000_000),
        max_file_mb=limits.int_("max_file_mb", 4096, 1, 1_000_000),
        signing=_signing_settings(signing, unit_name=r.str_("unit_name", "")),
        hot_folder=HotFolderSettings(
            paths=tuple(Path(p) for p in hot.str_list("paths", [], allow_empty=True)),
            polling=hot.bool_("polling", False),
            poll_seconds=float(hot.int_("poll_seconds", 2, 1, 600)),
            settle_seconds=float(hot.int_("settle_seconds", 3, 0, 3600)),
        ),
        originals=OriginalsSettings(
            after_success=cast(
                Literal["move", "keep"], originals.str_("after_success", "move", ("move", "keep"))
            ),
            processed=Path(originals.str_("processed", "${DIGITIZER_HOME}/originals/processed")),
            failed=Path(originals.str_("failed", "${DIGITIZER_HOME}/originals/failed")),
        ),
        blank_pages=cast(Literal["keep", "drop"], r.str_("blank_pages", "keep", ("keep", "drop"))),
        stacks=StackSettings(
            mode=cast(Literal["file", "pages"], stacks.str_("mode", "file", ("file", "pages"))),
            separator_codes=stacks.patterns("separator_codes", [_SEPARATOR_CODES]),
            receipt_starts_dossier=stacks.bool_("receipt_starts_dossier", True),
            window_seconds=float(stacks.int_("window_seconds", 20, 1, 3600)),
        ),
    )


_SIGNING_KEYS = {
    "pkcs12",
    "password_env",
    "password_file",
    "reason",
    "location",
    "pkcs11_module",
    "token_label",
    "key_label",
    "pin_env",
    "chain",
    "timestamp_url",
    "ltv",
    "trust_roots",
    "visible_stamp",
    "stamp_office",
    "stamp_position",
    "stamp_width_mm",
    "stamp_height_mm",
    "stamp_margin_mm",
}
_STAMP_POSITIONS = ("bottom-right", "bottom-left", "top-right", "top-left")


def _signing_settings(signing: _Reader, *, unit_name: str) -> SigningSettings:
    settings = SigningSettings(
        pkcs12=signing.str_("pkcs12", DEMO_KEY),
        password_env=signing.str_("password_env", "DIGITIZER_P12_PASSWORD"),
        password_file=signing.str_("password_file", ""),
        reason=signing.str_("reason", "Số hóa hồ sơ, kết quả giải quyết TTHC"),
        location=signing.str_("location", ""),
        pkcs11_module=signing.str_("pkcs11_module", ""),
        token_label=signing.str_("token_label", ""),
        key_label=signing.str_("key_label", ""),
        pin_env=signing.str_("pin_env", "DIGITIZER_TOKEN_PIN"),
        chain=signing.str_list("chain", [], allow_empty=True),
        timestamp_url=signing.str_("timestamp_url", ""),
        ltv=signing.bool_("ltv", False),
        trust_roots=signing.str_list("trust_roots", [], allow_empty=True),
        visible_stamp=signing.bool_("visible_stamp", False),
        stamp_office=signing.str_("stamp_office", unit_name).strip(),
        stamp_position=signing.str_("stamp_position", "bottom-right", _STAMP_POSITIONS),
        stamp_width_mm=float(signing.int_("stamp_width_mm", 75, 40, 200)),
        stamp_height_mm=float(signing.int_("stamp_height_mm", 16, 10, 80)),
        stamp_margin_mm=float(signing.int_("stamp_margin_mm", 3, 0, 50)),
    )
    if settings.visible_stamp and not settings.stamp_office:
        raise signing.fail(
            "visible_stamp", "needs stamp_office (or unit_name) for the 'Ký bởi:' line"
        )
    if len(settings.stamp_office) > 100:
        raise signing.fail("stamp_office", "must be at most 100 characters (it fits the stamp)")
    if settings.uses_token and not (settings.token_label and settings.key_label):
        raise signing.fail(
            "pkcs11_module", "needs token_label and key_label (the token and the key on it)"
        )
    if settings.timestamp_url and not settings.timestamp_url.startswith(("http://", "https://")):
        raise signing.fail("timestamp_url", "must be an http:// or https:// URL")
    if settings.ltv and not settings.timestamp_url:
        raise signing.fail("ltv", "needs timestamp_url (PAdES B-LT builds on a timestamp)")
    if settings.ltv and not settings.trust_roots:
        raise signing.fail("ltv", "needs trust_roots (the CA certificates the chain ends at)")
    return settings


def expand_path(value: Path, home: Path) -> Path:
    """A path from a profile with ``${DIGITIZER_HOME}``, ``$VARS`` and ``~`` expanded."""
    return _expand(str(value), home)


def profile_path(profiles_dir: Path, name: str) -> Path:
    return profiles_dir / f"{name}.toml"


def find_profile(profiles_dir: Path, name: str) -> ScannerProfile:
    path = profile_path(profiles_dir, name)
    if not path.exists():
        known = sorted(p.stem for p in profiles_dir.glob("*.toml"))
        raise ConfigurationError(
            f"no scanner profile '{name}' in {profiles_dir} (known: {', '.join(known) or 'none'})"
        )
    return load_profile(path)
