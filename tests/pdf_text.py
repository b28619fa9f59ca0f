"""A PDF's text, page by page, read back with pypdf (pure Python, so every machine can run the tests)."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page of ``pdf``, in order, with runs of white space made single spaces."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]
