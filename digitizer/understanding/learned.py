"""A learned document-type model for when the schema rules are not decisive.

Rules read titles; a page whose title is torn off, stained or set in an unusual way still
reads like its type everywhere else. This model (character n-grams of the folded OCR text,
logistic regression) is trained from documents the store holds as confirmed — registered
with no field left for review, so their type was not in doubt — and it is consulted only
when the rules found no title. It never overrules a title, and a prediction below its
probability threshold leaves the document ``unknown``.
"""

from __future__ import annotations

import logging
import pickle
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digitizer.errors import ConfigurationError

log = logging.getLogger(__name__)

MIN_DOCUMENTS_PER_TYPE = 5
DEFAULT_THRESHOLD = 0.9


@dataclass(frozen=True, slots=True)
class TrainingReport:
    documents: int
    per_type: dict[str, int]
    cross_validated_accuracy: float | None
    path: Path


class DocTypeModel:
    """A fitted model plus the schema fingerprint it was trained against."""

    def __init__(self, pipeline: Any, fingerprint: str, threshold: float = DEFAULT_THRESHOLD):
        self._pipeline = pipeline
        self.fingerprint = fingerprint
        self.threshold = threshold

    def predict(self, folded_text: str) -> tuple[str, float] | None:
        """The type and its probability, or None when the model is not sure enough."""
        if not folded_text.strip():
            return None
        probabilities = self._pipeline.predict_proba([folded_text])[0]
        best = int(probabilities.argmax())
        probability = float(probabilities[best])
        if probability < self.threshold:
            return None
        return str(self._pipeline.classes_[best]), probability

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(
                {
                    "pipeline": self._pipeline,
                    "fingerprint": self.fingerprint,
                    "threshold": self.threshold,
                },
                fh,
            )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> DocTypeModel | None:
        """The saved model, or None if there is none yet. Only load files this program
        wrote into its own home folder: the format is pickle."""
        if not path.exists():
            return None
        try:
            with path.open("rb") as fh:
                data = pickle.load(fh)
            return cls(data["pipeline"], data["fingerprint"], data["threshold"])
        except (OSError, pickle.UnpicklingError, KeyError, AttributeError, EOFError) as exc:
            raise ConfigurationError(
                f"{path}: the document-type model cannot be read ({exc.__class__.__name__}); "
                "run 'digitizer classifier train' again"
            ) from exc


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    fingerprint: str,
    path: Path,
    threshold: float = DEFAULT_THRESHOLD,
) -> TrainingReport:
    """Fit on folded OCR texts and their confirmed types; save to ``path``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    counts = Counter(labels)
    keep = [i for i, label in enumerate(labels) if counts[label] >= MIN_DOCUMENTS_PER_TYPE]
    per_type = {t: n for t, n in counts.items() if n >= MIN_DOCUMENTS_PER_TYPE}
    if len(per_type) < 2:
        raise ConfigurationError(
            f"not enough confirmed documents to train: need {MIN_DOCUMENTS_PER_TYPE} of at "
            f"least two types, have {dict(counts) or 'none'}"
        )
    x = [texts[i] for i in keep]
    y = [labels[i] for i in keep]
    pipeline = make_pipeline(
        TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, max_features=60_000
        ),
        LogisticRegression(max_iter=2000, C=4.0),
    )
    folds = min(5, min(per_type.values()))
    accuracy = float(cross_val_score(pipeline, x, y, cv=folds).mean()) if folds >= 2 else None
    pipeline.fit(x, y)
    DocTypeModel(pipeline, fingerprint, threshold).save(path)
    log.info("trained the document-type model on %d documents", len(x))
    return TrainingReport(len(x), per_type, accuracy, path)
