"""Reads back the cells of a number table (cnn_core.views.number_table) as a browser would
show them, for the tests of the table and of the pages that draw it."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass
class TableCell:
    text: str
    background: str
    colour: str
    title: str


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[TableCell]] = []
        self.headers: list[list[str]] = []
        self._cell: TableCell | None = None
        self._header: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr":
            self.rows.append([])
            self.headers.append([])
        elif tag == "td":
            style = dict(part.strip().split(":", 1) for part in
                         (attributes.get("style") or "").split(";") if ":" in part)
            style = {name.strip(): value.strip() for name, value in style.items()}
            self._cell = TableCell("", style.get("background", ""), style.get("color", ""),
                                   attributes.get("title") or "")
        elif tag == "th":
            self._header = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.text += data
        elif self._header is not None:
            self._header.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append(self._cell)
            self._cell = None
        elif tag == "th" and self._header is not None:
            self.headers[-1].append("".join(self._header))
            self._header = None


def table_cells(html: str) -> list[list[TableCell]]:
    """The table's number cells, row by row (headers left out)."""
    parser = _Cells()
    parser.feed(html)
    return [row for row in parser.rows if row]


def table_headers(html: str) -> list[list[str]]:
    """The header cells of each table row, row by row: the "column" line, the column numbers,
    then each number row's row number."""
    parser = _Cells()
    parser.feed(html)
    return parser.headers
