"""CSV for spreadsheets: every cell formula-safe, UTF-8 with a byte-order mark, streamed in batches."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

#: a spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: a plain negative amount ("-40.00") starts with "-" but runs nothing: it stays a number
NEGATIVE_NUMBER = re.compile(r"-\d+(\.\d+)?")


def safe_cell(value) -> str:
    """The cell as text, prefixed with ' when a spreadsheet would otherwise run it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not NEGATIVE_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_chunks(batches: Iterable[list[list[str]]]) -> Iterator[str]:
    """Encode batches of rows as CSV text, one chunk per batch, every cell formula-safe. Begins with a
    byte-order mark so that spreadsheet programs read Chinese names as UTF-8."""
    yield "\ufeff"
    for rows in batches:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows([safe_cell(cell) for cell in row] for row in rows)
        yield buffer.getvalue()
