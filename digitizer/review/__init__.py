"""The clerk's review: the queue of documents waiting for a person, and their decisions.

``queue`` finds what waits, ``crop`` and ``graphics`` show the spot on the signed page,
``checks`` holds a typed value to the field's own rules, ``actions`` saves a decision with
its audit entry, ``session`` is the keyboard loop of ``digitizer review``.
"""

from digitizer.review.actions import Outcome, Reviewer
from digitizer.review.checks import Checked, check_value
from digitizer.review.queue import ReviewDocument, ReviewItem, load_document, queue

__all__ = [
    "Checked",
    "Outcome",
    "ReviewDocument",
    "ReviewItem",
    "Reviewer",
    "check_value",
    "load_document",
    "queue",
]
