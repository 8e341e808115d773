"""PDF/A output: page images with an invisible OCR text layer, sRGB intent and XMP."""

from digitizer.pdfa.writer import write_pdfa

__all__ = ["write_pdfa"]
