"""Builders of the eight document types of DOMAIN.md, administrative documents (Decree
30/2020 layout, :mod:`samples.administrative`), plus unknown pages.

Each builder returns a :class:`~samples.content.Document`: pages described as blocks and the
field values in DOMAIN.md's formats. Every printed value is produced from the same variable
that goes into ``fields`` (via :mod:`samples.vntext` for the printed form), so extraction can
be scored exactly. A field whose value is not printed in its canonical form (an archival
9-digit CMND where a 12-digit ID is expected) is left out of ``fields``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from samples.administrative import administrative_document
from samples.business import business_household_registration, construction_permit
from samples.citizen import application_form, dossier_receipt
from samples.civil import birth_certificate, death_certificate, marriage_certificate
from samples.content import Ctx, Document, nfc
from samples.land import land_use_certificate
from samples.unknown import unknown_blank, unknown_foreign, unknown_notice
from samples.wordings import UNSEEN, UNSEEN_FAMILIES

Builder = Callable[[Ctx], Document]


BUILDERS: dict[str, Builder] = {
    "birth_certificate": birth_certificate,
    "marriage_certificate": marriage_certificate,
    "death_certificate": death_certificate,
    "land_use_certificate": land_use_certificate,
    "business_household_registration": business_household_registration,
    "construction_permit": construction_permit,
    "application_form": application_form,
    "dossier_receipt": dossier_receipt,
    "unknown_notice": unknown_notice,
    "unknown_blank": unknown_blank,
    "unknown_foreign": unknown_foreign,
    "administrative_document": administrative_document,
}


def build(kind: str, ctx: Ctx) -> Document:
    """Build one document of ``kind`` (a doc_type, or unknown_notice/_blank/_foreign)."""
    ctx.bold_values = ctx.chance(0.4)
    ctx.kind = kind
    doc = BUILDERS[kind](ctx)
    doc.fields = {k: nfc(v) if isinstance(v, str) else v for k, v in doc.fields.items()}
    if ctx.wrng is not None:  # --wordings unseen
        if kind in UNSEEN:
            doc.style = replace(doc.style, family=ctx.wrng.choice(UNSEEN_FAMILIES))
        doc.labels, doc.placements = dict(ctx.labels), dict(ctx.placements)
    return doc
