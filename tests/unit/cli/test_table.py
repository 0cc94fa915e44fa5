from __future__ import annotations

import pytest

from dockyard.cli.table import (
    HISTORY_HEADERS,
    IMAGE_HEADERS,
    default_header,
    display_width,
    ellipsis,
    render_table,
    short_id,
    tabwrite,
    truncate_id,
)

from .oracle_data import load


def test_images_table_layout() -> None:
    out = render_table(
        ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
        [
            ["oracle/app", "latest", "f4041e8eee2a", "5 minutes ago", "4.98MB"],
            ["registry.example.com:5000/team/app", "v1", "f4041e8eee2a", "5 minutes ago", "4.98MB"],
        ],
    )
    assert out == (
        "REPOSITORY                           TAG       IMAGE ID       CREATED         SIZE\n"
        "oracle/app                           latest    f4041e8eee2a   5 minutes ago   4.98MB\n"
        "registry.example.com:5000/team/app   v1        f4041e8eee2a   5 minutes ago   4.98MB\n"
    )


def test_minwidth_and_unpadded_last_column() -> None:
    assert render_table(["A", "B"], [["x", "y"]]) == "A         B\nx         y\n"
    # an empty trailing cell after a tab is still a cell of the previous column's line
    assert render_table(["A", "B", "C"], [["1", "22", ""]]) == (
        "A         B         C\n1         22        \n"
    )


def test_history_trailing_padding_when_comment_empty() -> None:
    out = render_table(
        ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"],
        [["<missing>", "6 minutes ago", "/bin/sh -c #(nop) WORKDIR /srv/app", "0B", ""]],
    )
    lines = out.splitlines()
    assert lines[0] == (
        "IMAGE       CREATED         CREATED BY                           SIZE      COMMENT"
    )
    assert lines[1] == (
        "<missing>   6 minutes ago   /bin/sh -c #(nop) WORKDIR /srv/app   0B        "
    )


def test_tabwriter_blocks_end_at_lines_without_tabs() -> None:
    text = "a\tb\nlonger-cell-here\tc\nno tabs here\nx\ty\n"
    assert tabwrite(text) == (
        "a                  b\nlonger-cell-here   c\nno tabs here\nx         y\n"
    )


def test_tabwriter_column_blocks_and_partial_last_line() -> None:
    # column 1 exists only in the first two lines: it forms its own block
    text = "a\tbbbbbbbbbbbbbbb\tc\nd\te\tf\ng\th"
    assert tabwrite(text) == (
        "a         bbbbbbbbbbbbbbb   c\nd         e                 f\ng         h"
    )
    assert tabwrite("") == ""
    assert tabwrite("\n") == "\n"


def test_tabwriter_counts_code_points() -> None:
    assert tabwrite("\u00fcn\u00ef\tx\n") == "\u00fcn\u00ef       x\n"


def test_tabwriter_custom_parameters() -> None:
    assert tabwrite("ab\tc\n", minwidth=0, padding=1, padchar=".") == "ab.c\n"
    assert tabwrite("ab\tc\n", minwidth=0, tabwidth=8, padding=1, padchar="\t") == "ab\tc\n"


@pytest.mark.parametrize(
    ("value", "short"),
    [
        ("sha256:bd32993bbd0556376a988bcb0267a1fc6a6ae8d62c7ed9960f805889b4164734", "bd32993bbd05"),
        ("bd32993bbd0556376a988bcb", "bd32993bbd05"),
        ("<missing>", "<missing>"),
        ("sha512:abc", "abc"),
        ("", ""),
    ],
)
def test_truncate_id(value: str, short: str) -> None:
    assert truncate_id(value) == short
    assert short_id(value) == short


CREATED_BY = (
    "/bin/sh -c #(nop) COPY file:a31f000197c5cae7809e50bba7c4edf3c120b60d0f270da1d8d88d9dd758c31b"
    " in /srv/app/data/random.bin "
)


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        (CREATED_BY, 45, "/bin/sh -c #(nop) COPY file:a31f000197c5cae7\u2026"),
        ("/bin/sh -c #(nop)  ENV ONLY=scratch", 45, "/bin/sh -c #(nop)  ENV ONLY=scratch"),
        ("x" * 45, 45, "x" * 45),
        ("x" * 46, 45, "x" * 44 + "\u2026"),
        ("hello", 1, "h"),
        ("hello", 0, ""),
        ("", 5, ""),
        ("\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", 7, "\u65e5\u672c\u8a9e\u2026"),
        ("\u65e5\u672c", 4, "\u65e5\u672c"),
        ("\u00fcn\u00ef\u00e7\u00f8d\u00e9", 4, "\u00fcn\u00ef\u2026"),
    ],
)
def test_ellipsis(text: str, width: int, expected: str) -> None:
    assert ellipsis(text, width) == expected


def test_display_width() -> None:
    assert display_width("abc") == 3
    assert display_width("\u65e5\u672c") == 4
    assert display_width("e\u0301") == 1


@pytest.mark.parametrize(
    ("field", "title"),
    [("Repository", "REPOSITORY"), ("CreatedAt", "CREATED AT"), ("ID", "ID"),
     ("VirtualSize", "VIRTUAL SIZE"), ("HTTPProxy", "HTTP PROXY")],
)
def test_default_header(field: str, title: str) -> None:
    assert default_header(field) == title


def test_header_maps() -> None:
    assert IMAGE_HEADERS["ID"] == "IMAGE ID"
    assert HISTORY_HEADERS["ID"] == "IMAGE"
    assert HISTORY_HEADERS["CreatedBy"] == "CREATED BY"


def test_oracle_history_created_by_truncation() -> None:
    data = load("docker-20.10", "multi.load.json")
    for entries in data["history"].values():
        for entry in entries:
            cut = ellipsis(entry["CreatedBy"].replace("\t", " "), 45)
            assert display_width(cut) <= 45
            assert entry["CreatedBy"].startswith(cut.rstrip("\u2026"))
