"""The workspace's words in Vietnamese (the default) or English: gettext catalogs.

Messages live in ``locale/<lang>/LC_MESSAGES/messages.po`` (Babel's format, edited by a
translator, never in code); they are compiled in memory when the app starts, so nothing
binary is kept in the repository and a changed catalog takes effect at the next start.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
_LOCALE = Path(__file__).resolve().parent / "locale"


@functools.lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> Translations:
    """The catalog of ``lang`` (an unknown language gets Vietnamese)."""
    if lang not in LANGUAGES:
        lang = DEFAULT
    with (_LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext_for(lang: str) -> Callable[[str], str]:
    return translations(lang).gettext
