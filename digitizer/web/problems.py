"""Why a value was refused, in the clerk's language.

The checks (:mod:`digitizer.understanding.normalize`, :mod:`~digitizer.understanding.validate`,
:mod:`digitizer.review.actions`) say what is wrong in English, some with the value's
particulars ("a personal ID has 12 digits (9 for an old CMND), this one 5"). A message
with particulars is matched here to its catalog entry, whose ``{placeholders}`` take them;
one without is a catalog entry itself. A message neither knows is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_WITH_PARTICULARS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"no such date: day (?P<day>\d+) of month (?P<month>\d+)"),
     "no such date: day {day} of month {month}"),
    (re.compile(r"a personal ID has 12 digits \(9 for an old CMND\), this one (?P<n>\d+)"),
     "a personal ID has 12 digits (9 for an old CMND), this one {n}"),
    (re.compile(r"(?P<code>\d+) is not a province code of personal IDs"),
     "{code} is not a province code of personal IDs"),
    (re.compile(r"the personal ID says born in (?P<year>\d+), which is in the future"),
     "the personal ID says born in {year}, which is in the future"),
    (re.compile(r"the date is after today \((?P<today>[\d-]+)\)"),
     "the date is after today ({today})"),
    (re.compile(r"the date is before (?P<day>[\d-]+)"), "the date is before {day}"),
    (re.compile(r"(?P<value>\S+) is not between (?P<low>\S+) and (?P<high>\S+)"),
     "{value} is not between {low} and {high}"),
    (re.compile(r"the value does not have the expected form .*"),
     "the value does not have the expected form"),
    (re.compile(r"the document is already (?P<status>\w+)"), "the document is already {status}"),
)  # fmt: skip


def in_language(problem: str, gettext: Callable[[str], str]) -> str:
    """``problem`` as the catalog of ``gettext`` words it."""
    for pattern, msgid in _WITH_PARTICULARS:
        found = pattern.fullmatch(problem)
        if found is not None:
            return gettext(msgid).format(**found.groupdict())
    return gettext(problem)
