"""Docker-style tables: Go ``text/tabwriter`` alignment, short IDs and ellipses.

The Docker CLI writes its tables through ``tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)``:
minimum cell width 10, tab width 1 (unused when padding with spaces), padding 3,
padding character space, no flags. :func:`tabwrite` reproduces that writer:

* a *cell* is text terminated by a tab; the text after the last tab of a line is not
  a cell of any column and is written as is (so the last column is never padded,
  while an empty last cell after a tab still is);
* a *column block* is a run of consecutive lines that all have a cell in that column;
  each block is as wide as its widest cell plus the padding, and at least the
  minimum width; widths are counted in code points, as Go counts runes;
* a line without any tab ends every block (Go flushes there).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence

__all__ = [
    "HISTORY_HEADERS",
    "IMAGE_HEADERS",
    "default_header",
    "display_width",
    "ellipsis",
    "render_table",
    "short_id",
    "tabwrite",
    "truncate_id",
]

#: Column titles of ``docker images`` by template field (docker/cli's image formatter).
IMAGE_HEADERS: Mapping[str, str] = {
    "ID": "IMAGE ID",
    "Repository": "REPOSITORY",
    "Tag": "TAG",
    "Digest": "DIGEST",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "Size": "SIZE",
    "Containers": "CONTAINERS",
    "VirtualSize": "SIZE",
    "SharedSize": "SHARED SIZE",
    "UniqueSize": "UNIQUE SIZE",
}

#: Column titles of ``docker history`` by template field (docker/cli's history formatter).
HISTORY_HEADERS: Mapping[str, str] = {
    "ID": "IMAGE",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "CreatedBy": "CREATED BY",
    "Size": "SIZE",
    "Comment": "COMMENT",
}

_SHORT_LEN = 12


def default_header(field: str) -> str:
    """Derive a column title from a field name the way Docker names its columns.

    Args:
        field: A template field name such as ``CreatedAt``.

    Returns:
        The upper-cased words of the name, e.g. ``CREATED AT``; ``ID`` stays ``ID``.
    """
    words: list[str] = []
    current = ""
    for i, char in enumerate(field):
        nxt = field[i + 1] if i + 1 < len(field) else ""
        boundary = char.isupper() and current and (
            not current[-1].isupper() or (nxt.islower())
        )
        if boundary:
            words.append(current)
            current = ""
        current += char
    if current:
        words.append(current)
    return " ".join(words).upper()


def tabwrite(
    text: str,
    *,
    minwidth: int = 10,
    tabwidth: int = 1,
    padding: int = 3,
    padchar: str = " ",
) -> str:
    """Align tab-separated text like Go's ``text/tabwriter`` (flags 0, left-aligned).

    Args:
        text: Lines of tab-terminated cells, as the CLI's templates produce them.
        minwidth: Minimal cell width including the padding (Docker: 10).
        tabwidth: Width of a tab when ``padchar`` is a tab (Docker: 1).
        padding: Added to the widest cell of a column block (Docker: 3).
        padchar: The padding character (Docker: a space).

    Returns:
        The aligned text; a final line without newline stays without newline.
    """
    out: list[str] = []
    segments = text.split("\n")
    block: list[list[str]] = []
    for index, segment in enumerate(segments):
        cells = segment.split("\t")
        block.append(cells)
        last = index == len(segments) - 1
        if len(cells) == 1 or last:
            _format(out, block, [], 0, len(block), minwidth, tabwidth, padding, padchar)
            if not last:
                out.append("\n")
            block = []
    return "".join(out)


def _format(
    out: list[str],
    lines: list[list[str]],
    widths: list[int],
    line0: int,
    line1: int,
    minwidth: int,
    tabwidth: int,
    padding: int,
    padchar: str,
) -> None:
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write_lines(out, lines, widths, line0, this, tabwidth, padchar)
        line0 = this
        width = minwidth
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + padding)
            this += 1
        widths.append(width)
        _format(out, lines, widths, line0, this, minwidth, tabwidth, padding, padchar)
        widths.pop()
        line0 = this
    _write_lines(out, lines, widths, line0, line1, tabwidth, padchar)


def _write_lines(
    out: list[str],
    lines: list[list[str]],
    widths: list[int],
    line0: int,
    line1: int,
    tabwidth: int,
    padchar: str,
) -> None:
    for i in range(line0, line1):
        line = lines[i]
        for j, cell in enumerate(line):
            out.append(cell)
            if j < len(widths):
                out.append(_padding(len(cell), widths[j], tabwidth, padchar))
        if i + 1 < len(lines):
            out.append("\n")


def _padding(textw: int, cellw: int, tabwidth: int, padchar: str) -> str:
    if padchar == "\t":
        if tabwidth == 0:
            return ""
        cellw = (cellw + tabwidth - 1) // tabwidth * tabwidth
        return "\t" * ((cellw - textw + tabwidth - 1) // tabwidth)
    return padchar * (cellw - textw)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Render a table the way the Docker CLI prints ``docker images`` or ``docker history``.

    Each line is the cells joined by tabs and ended by a newline, aligned by
    :func:`tabwrite` with Docker's parameters (minimum width 10, padding 3).

    Args:
        headers: The column titles, e.g. ``("REPOSITORY", "TAG", "IMAGE ID")``.
        rows: The cells of each row, converted with :func:`str`.

    Returns:
        The table, each line ended by a newline.
    """
    lines = ["\t".join(headers)]
    lines.extend("\t".join(str(cell) for cell in row) for row in rows)
    return tabwrite("".join(line + "\n" for line in lines))


def truncate_id(image_id: str) -> str:
    """Shorten an ID like Docker's ``stringid.TruncateID``.

    Everything up to the first ``:`` (the algorithm) is dropped, then the ID is cut to
    12 characters; values such as ``<missing>`` pass unchanged.

    Args:
        image_id: E.g. ``sha256:bd32993bbd05…``.

    Returns:
        E.g. ``bd32993bbd05``.
    """
    _, sep, rest = image_id.partition(":")
    if sep:
        image_id = rest
    return image_id[:_SHORT_LEN]


short_id = truncate_id


def _rune_width(char: str) -> int:
    code = ord(char)
    if code == 0 or code < 32 or 0x7F <= code < 0xA0:
        return 0
    if unicodedata.category(char) in ("Mn", "Me", "Cf") and code != 0xAD:
        return 0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 2
    return 1


def display_width(text: str) -> int:
    """Return the terminal display width of ``text`` (wide East Asian characters count 2).

    Args:
        text: Any text.

    Returns:
        The number of terminal columns, ignoring control and combining characters.
    """
    return sum(_rune_width(char) for char in text)


def ellipsis(text: str, max_width: int) -> str:
    """Truncate text to a display width, ending it with ``…``, like docker/cli's ``Ellipsis``.

    ``docker history`` shows ``CREATED BY`` through ``ellipsis(created_by, 45)`` unless
    ``--no-trunc`` is given (tabs in the command are first replaced by spaces).

    Args:
        text: The text to shorten.
        max_width: The maximal display width, ellipsis included. At 1 the first
            character is returned without ellipsis; at 0 or below, nothing.

    Returns:
        ``text`` if it fits, otherwise its longest prefix that fits in
        ``max_width - 1`` columns followed by ``…``.
    """
    if max_width <= 0 or not text:
        return ""
    if max_width == 1:
        return text[0]
    if text.isascii() or all(_rune_width(c) == 1 for c in text):
        if len(text) <= max_width:
            return text
        return text[: max_width - 1] + "\u2026"
    if display_width(text) <= max_width:
        return text
    used = 0
    for index, char in enumerate(text):
        used += _rune_width(char)
        if used > max_width - 1:
            return text[:index] + "\u2026"
    return text
