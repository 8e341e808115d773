"""The reusable-data store: documents, pages, OCR words, fields, units and the journal."""

from digitizer.store.models import Base
from digitizer.store.store import Store, default_url

__all__ = ["Base", "Store", "default_url"]
