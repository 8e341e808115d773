"""One search box for the look-up page: what a clerk types, understood.

A clerk types what is on the paper in front of her: a 12-digit personal ID, a name with or
without its accents, "tờ 53 thửa 300", a one-stop-shop dossier code, or words of the text.
Each is turned into the command line's :class:`~digitizer.store.lookup.LookupQuery`, so
the page finds what ``digitizer lookup`` finds.
"""

from __future__ import annotations

import re

from digitizer.store.lookup import LookupQuery
from digitizer.understanding.layout import fold_text

_ID = re.compile(r"\d{12}|\d{9}")
_SHEET_PARCEL = re.compile(
    r"^to\s*(?:ban\s*do\s*)?(?:so\s*)?(?P<sheet>\w+)\s*[,;]?\s*thua\s*(?:dat\s*)?(?:so\s*)?(?P<parcel>\w+)$"
)
_DOSSIER = re.compile(r"[\w.]+-\d{6}-\d{3,5}")
_NAME = re.compile(r"[^\W\d_]+(?:\s+[^\W\d_]+){1,5}")
MAX_QUERY = 200


def understand_query(typed: str, limit: int = 50) -> LookupQuery:
    """The look-up a typed query means (empty when nothing was typed)."""
    text = " ".join(typed.split())[:MAX_QUERY]
    digits = re.sub(r"[\s.]", "", text)
    if _ID.fullmatch(digits):
        return LookupQuery(personal_id=digits, limit=limit)
    folded = fold_text(text).lower()
    found = _SHEET_PARCEL.fullmatch(folded)
    if found is not None:
        return LookupQuery(map_sheet=found["sheet"], parcel=found["parcel"], limit=limit)
    if _DOSSIER.fullmatch(text):
        return LookupQuery(dossier=text, limit=limit)
    if _NAME.fullmatch(text):
        return LookupQuery(name=text, limit=limit)
    return LookupQuery(text=text, limit=limit) if text else LookupQuery(limit=limit)
