"""The pipeline's stages, as plain typed functions, and the per-process worker that runs them.

A :class:`Worker` is created once per worker process: it owns the OCR engine (model loaded
once) and the signer (key loaded once), and turns one input file into one signed PDF/A plus
a :class:`~digitizer.records.DocumentResult`. Registering in the store is the parent's job
(one writer), and it happens only after the signed PDF is durable on disk.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import resource
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from digitizer import __version__, geometry
from digitizer.barcodes import decode_codes
from digitizer.blank import is_blank
from digitizer.digest import sha256_of
from digitizer.diskspace import disk_full, is_disk_full
from digitizer.durable import durable_move
from digitizer.errors import (
    BlankDocumentError,
    DigitizerError,
    DiskFullError,
    MissingDependencyError,
)
from digitizer.geometry import PageGeometry
from digitizer.ingest import ScanPage, colour_mode, iter_pages
from digitizer.language import other_languages, reads_as_foreign
from digitizer.learning import LearningUnderstander, StoreVariants
from digitizer.ocr import OcrEngine, PageText, open_engine
from digitizer.orientation import orient
from digitizer.pdfa import write_pdfa
from digitizer.pipelines import PipelineDefinition
from digitizer.profiles import ColourPolicy, ScannerProfile
from digitizer.records import DocumentMetadata, DocumentResult, PageRaster, PageResult
from digitizer.recovery import recover_missed_text
from digitizer.resolution import enlargement, glyph_height, read_page
from digitizer.signing import Signer, SignerSpec, open_signer, sign_pdf
from digitizer.stackfile import read_manifest
from digitizer.understanding.blanks import HandReading
from digitizer.understanding.learned import DocTypeModel
from digitizer.understanding.schema import SchemaSet
from digitizer.understanding.understand import Understander
from digitizer.understanding.validate import load_province_codes
from digitizer.understanding.zones import Blank

log = logging.getLogger(__name__)

# A page whose OCR is this poor may be upside down after all: read it the other way too.
_RETRY_FLIP_BELOW_CONFIDENCE = 55.0
_RETRY_FLIP_MIN_WORDS = 15
_KEEP_PAGES_FOR_REREAD = 4


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """Everything a worker process needs; picklable, sent once when the worker starts."""

    profile: ScannerProfile
    pipeline: PipelineDefinition
    tessdata: Path
    work_dir: Path
    schemas: SchemaSet | None
    doctype_model: Path | None
    signing: SignerSpec | None  # None when the pipeline does not sign
    store_url: str | None = None  # where the office's learned labels are read (learning.py)


@dataclass(frozen=True, slots=True)
class Job:
    source: Path
    sha256: str
    document_id: str
    output: Path


def stacks_folder(work_dir: Path) -> Path:
    """Where the hot folder writes stack manifests, the one place they are read from."""
    return work_dir / "stacks"


def document_id_for(sha256: str) -> str:
    """Derived from the content, so a re-run after a crash writes the same output again."""
    return sha256[:16]


# ----------------------------------------------------------------------------- stages


def apply_colour_policy(page: ScanPage, policy: ColourPolicy) -> Image.Image:
    """The page image as it will be archived: faithful to the scan unless told otherwise."""
    img = page.image
    if policy == "grey" and img.mode == "RGB":
        return img.convert("L")
    if policy == "bw" and img.mode != "1":
        grey = np.asarray(img.convert("L"))
        _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        return Image.fromarray(binary).convert("1")
    return img


def recognize(
    img: Image.Image,
    original: Image.Image,
    geom: PageGeometry,
    dpi: float,
    engine: OcrEngine,
    *,
    orient_enabled: bool,
    recover_missed: bool,
    scale: float = 1.0,
) -> tuple[Image.Image, PageGeometry, NDArray[np.uint8], PageText]:
    """OCR the upright page (enlarged by ``scale``, see :mod:`digitizer.resolution`); if it
    reads badly, try it turned by 180° and keep the better.

    Then, if asked, re-read the text-like regions that page layout analysis left out.
    Returns the page, its geometry, the grey image that was read, and the text.
    """
    gray = geometry.to_gray(img)
    text = read_page(engine, gray, dpi, scale)
    if (
        orient_enabled
        and len(text.words) >= _RETRY_FLIP_MIN_WORDS
        and text.mean_confidence < _RETRY_FLIP_BELOW_CONFIDENCE
    ):
        alt_geom = geom.flipped()
        alt_img = geometry.apply(original, alt_geom)
        alt_gray = geometry.to_gray(alt_img)
        alt_text = read_page(engine, alt_gray, dpi, scale)
        if alt_text.mean_confidence > text.mean_confidence + 10:
            log.info(
                "page read better turned by 180° (%.0f > %.0f)",
                alt_text.mean_confidence,
                text.mean_confidence,
            )
            img, geom, gray, text = alt_img, alt_geom, alt_gray, alt_text
    if recover_missed:
        text = recover_missed_text(gray, dpi, text, engine)
    return img, geom, gray, text


# ----------------------------------------------------------------------------- worker


class Worker:
    """Runs the pipeline's stages on one file at a time, in one process."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        profile = settings.profile
        self.limits = profile.ingest_limits()
        self.engine = open_engine(profile.ocr_engine, profile.languages, settings.tessdata)
        self.signer: Signer | None = None
        if settings.pipeline.runs("sign"):
            assert settings.signing is not None
            # one key load / one token session per worker process, for all its documents
            self.signer = open_signer(settings.signing)
        self.understander: LearningUnderstander | None = None
        if settings.pipeline.runs("understand") and settings.schemas is not None:
            model = DocTypeModel.load(settings.doctype_model) if settings.doctype_model else None
            base = Understander(settings.schemas, load_province_codes(), model=model)
            url, unit = settings.store_url, profile.unit_code
            source = StoreVariants(url, unit) if url else None
            self.understander = LearningUnderstander(base, unit_code=unit, source=source)
        self._needs_review = False
        self._vietnamese = "vie" in profile.languages
        self._foreign_engine: OcrEngine | None = None  # opened at the first foreign page

    def close(self) -> None:
        self.engine.close()
        if self._foreign_engine is not None:
            self._foreign_engine.close()
        if self.signer is not None:
            self.signer.close()

    def process(self, job: Job) -> DocumentResult:
        """Never raises for a bad input: the failure is the result."""
        started = time.perf_counter()
        result = DocumentResult(source=str(job.source), sha256=job.sha256, status="failed")
        try:
            self._stages(job, result)
        except DiskFullError:
            raise  # not the file's fault: the run stops, the file stays for the next one
        except DigitizerError as exc:
            result.status, result.error = "failed", str(exc)
        except MemoryError:
            result.status, result.error = "failed", "out of memory while decoding the file"
        except Exception as exc:  # a defect or a library failing on odd input: never stop the run
            log.exception("unexpected failure on %s", job.source)
            result.status = "failed"
            result.error = f"internal error: {exc.__class__.__name__}: {str(exc)[:200]}"
        result.seconds = time.perf_counter() - started
        result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if result.status == "failed":
            result.pages = []
        return result

    def _stages(self, job: Job, result: DocumentResult) -> None:
        """The stages of one file; a write refused for want of space is a DiskFullError."""
        try:
            self._process(job, result)
        except Exception as exc:
            if is_disk_full(exc):
                raise disk_full(self.settings.work_dir.parent, exc) from None
            raise

    def _process(self, job: Job, result: DocumentResult) -> None:
        settings, profile = self.settings, self.settings.profile
        pipeline = settings.pipeline
        stacks_dir = stacks_folder(settings.work_dir)
        scans = iter_pages(job.source, self.limits, stacks_dir=stacks_dir)
        if job.source.parent == stacks_dir:  # a page stack: its receipt named the dossier
            result.dossier_code = read_manifest(job.source).dossier_code

        def metadata() -> DocumentMetadata:
            # asked by the writer after the last page, when the document type is known
            return DocumentMetadata(
                document_id=job.document_id,
                title=job.source.name,
                doc_type=result.doc_type,
                unit_code=profile.unit_code or None,
                unit_name=profile.unit_name or None,
                created=dt.datetime.now(dt.UTC),
                producer=f"digitizer {__version__}",
            )

        # A generator: each page is OCR'd, then encoded into the PDF, then freed; after
        # the last page the document is understood (type and fields).
        rasters = self._pages(scans, result, orient_enabled=pipeline.runs("orient"))
        job.output.parent.mkdir(parents=True, exist_ok=True)
        unsigned = settings.work_dir / f"{job.document_id}.{os.getpid()}.unsigned.pdf"
        try:
            write_pdfa(
                rasters,
                metadata,
                unsigned,
                level=profile.pdfa_level,
                jpeg_quality=profile.jpeg_quality,
            )
            if self.signer is not None:
                sign_pdf(
                    self.signer,
                    unsigned,
                    job.output,
                    reason=profile.signing.reason,
                    location=profile.signing.location or None,
                )
            else:
                durable_move(unsigned, job.output)
        finally:
            unsigned.unlink(missing_ok=True)
        result.output = str(job.output)
        result.output_sha256 = sha256_of(job.output)
        result.document_id = job.document_id
        result.status = "needs_review" if self._needs_review else "registered"

    def _read_foreign(
        self, gray: NDArray[np.uint8], dpi: float, text: PageText, scale: float
    ) -> PageText:
        """A page whose words are not shaped like Vietnamese, read again in the profile's
        other languages (or English); the more confident reading is kept."""
        if self._foreign_engine is None:
            profile = self.settings.profile
            languages = other_languages(profile.languages)
            try:
                self._foreign_engine = open_engine(
                    profile.ocr_engine, languages, self.settings.tessdata
                )
            except MissingDependencyError as exc:  # the Vietnamese reading stays
                log.warning("foreign pages are read as Vietnamese only: %s", exc)
                self._vietnamese = False
                return text
        other = read_page(self._foreign_engine, gray, dpi, scale)
        if other.mean_confidence <= text.mean_confidence:
            return text
        log.info(
            "page read better as a foreign language (%.0f > %.0f)",
            other.mean_confidence,
            text.mean_confidence,
        )
        return other

    def _reread(
        self,
        kept: list[NDArray[np.uint8]],
        result: DocumentResult,
        page: int,
        box: tuple[int, int, int, int],
        scale: float,
    ) -> str:
        """OCR one line of a kept page again, on its own, at ``scale``."""
        if page >= len(kept):
            return ""
        dpi = result.pages[page].dpi * scale
        text = self.engine.recognize(_crop_line(kept[page], box, scale), dpi, line=True)
        return " ".join(w.text for w in text.words)

    def _read_blank(self, kept: list[NDArray[np.uint8]], blank: Blank) -> Mapping[str, HandReading]:
        """Read a printed line's handwritten blanks ("Số: 87 /QĐ-UBND") with the second
        recognizers (imported here: their models load only for such documents)."""
        if blank.page >= len(kept):
            return {}
        from digitizer.handwriting import FieldKind, read_blanks

        order: tuple[FieldKind, ...] = ("number", "day", "month", "year")
        kinds = [k for k in order if k in blank.printed]
        return {str(k): v for k, v in read_blanks(kept[blank.page], blank.box, kinds).items()}

    def _pages(
        self, scans: Iterable[ScanPage], result: DocumentResult, *, orient_enabled: bool
    ) -> Iterator[PageRaster]:
        probe = self.settings.pipeline.probe_uncertain_orientation
        understand = self.understander is not None
        codes: list[list[str]] = []
        # the first pages' grey images, for second readings of names (bounded memory)
        kept: list[NDArray[np.uint8]] = []
        self._needs_review = False
        drop_blank = self.settings.profile.blank_pages == "drop"
        for number, scan in enumerate(scans, start=1):
            original = apply_colour_policy(scan, self.settings.profile.colour)
            scanned_gray = geometry.to_gray(original)  # for the blank test and the measure
            if drop_blank and is_blank(scanned_gray, scan.dpi):
                log.info("page %d of %s is blank: dropped", number, result.source)
                result.blank_pages_dropped += 1
                continue
            glyphs = glyph_height(scanned_gray)
            # no text to tell up from down by (a faded stamp alone): kept as scanned
            turn = orient_enabled and glyphs is not None
            if turn:
                img, geom = orient(original, scan.dpi, self.engine, probe=probe)
            else:
                img, geom = original, PageGeometry(0, 0.0, 0.0)
            scale = enlargement(glyphs)
            img, geom, gray, text = recognize(
                img,
                original,
                geom,
                scan.dpi,
                self.engine,
                orient_enabled=turn,
                recover_missed=self.settings.pipeline.recover_missed_text,
                scale=scale,
            )
            if self._vietnamese and reads_as_foreign(text.words):
                text = self._read_foreign(gray, scan.dpi, text, scale)
            result.pages.append(
                PageResult(
                    width=img.width,
                    height=img.height,
                    dpi=scan.dpi,
                    colour_mode=colour_mode(img),
                    rotation=geom.rotation,
                    skew_deg=geom.skew_deg,
                    ocr_confidence=round(text.mean_confidence, 2),
                    words=text.words,
                )
            )
            if understand:
                codes.append([c.value for c in decode_codes(img, scan.dpi)])
                if len(kept) < _KEEP_PAGES_FOR_REREAD:
                    kept.append(gray)
            yield PageRaster(img, scan.dpi, text.words)
        if not result.pages and result.blank_pages_dropped:
            raise BlankDocumentError(
                f"all {result.blank_pages_dropped} page(s) are blank (profile drops blank pages)"
            )
        if self.understander is not None:
            found = self.understander.understand(
                [p.words for p in result.pages],
                codes,
                reread=lambda page, box, scale: self._reread(kept, result, page, box, scale),
                read_blank=lambda blank: self._read_blank(kept, blank),
            )
            result.doc_type = found.doc_type
            result.doc_type_confidence = found.doc_type_confidence
            result.fields = found.fields
            result.key_value = found.key_value
            schema = self.understander.schemas.get(found.doc_type)
            result.schema_version = schema.version if schema is not None else None
            self._needs_review = found.needs_review


def _crop_line(
    gray: NDArray[np.uint8], box: tuple[int, int, int, int], scale: float
) -> NDArray[np.uint8]:
    x0, y0, x1, y1 = box
    margin = max(2, int(0.3 * (y1 - y0)))
    crop = gray[max(0, y0 - margin) : y1 + margin, max(0, x0 - margin) : x1 + margin]
    if scale != 1.0:
        resized = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        return np.ascontiguousarray(resized, dtype=np.uint8)
    return np.ascontiguousarray(crop)
