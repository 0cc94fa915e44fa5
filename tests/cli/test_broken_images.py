"""An image whose config fails verification is reported, never silently dropped."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import CLI

BASE = "sha256:926ad729a8a2a47f0800d3aadbe9ecfb0ceb4f2424dd9111d5fec71ad719a84a"


def _tamper(cli: CLI) -> None:
    """Rewrite base's config under a new inode (the index notices and marks it unusable)."""
    content = cli.root / "image" / "dockyard" / "imagedb" / "content" / "sha256"
    config = content / BASE.removeprefix("sha256:")
    data = config.read_bytes().replace(b"/bin/sh", b"/bin/sx")
    replacement = content / "tampered.tmp"
    replacement.write_bytes(data)
    replacement.replace(config)


def test_images_warns_about_each_unusable_image(cli: CLI, base_tar: Path,
                                                 app_tar: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    _tamper(cli)
    result = cli("images")
    assert result.code == 0
    assert "oracle/base" not in result.out
    assert result.err == (
        f"WARNING: image {BASE} (oracle/base:1) is not listed: it cannot be used: "
        f"failed to verify: {BASE} (see 'dockyard check')\n")
    quiet = cli("images", "-q")
    assert (quiet.out, quiet.err) == ("", result.err)


def test_inspect_and_history_report_it(cli: CLI, base_tar: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    _tamper(cli)
    expected = f"oracle/base:1: image {BASE} cannot be used: failed to verify: {BASE}"
    for argv in (["image", "inspect", "oracle/base:1"], ["inspect", "oracle/base:1"]):
        result = cli(*argv)
        assert result.code == 4, result.err
        assert json.loads(result.out) == []
        assert result.err == f"Error: {expected}\n"
    by_id = cli("image", "inspect", "926ad729")
    assert by_id.code == 4
    assert "926ad729: image" in by_id.err
    history = cli("history", "oracle/base:1")
    assert (history.code, history.err) == (4, f"Error: {expected}\n")
    assert cli("image", "inspect", "nope").err == "Error: No such image: nope:latest\n"
