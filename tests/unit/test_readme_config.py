"""The README's configuration table lists every setting DLV reads, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from dlv.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_has_a_row_in_the_configuration_table() -> None:
    rows = set(re.findall(r"^\| `(DLV_[A-Z0-9_]+)` \|", README.read_text(), flags=re.MULTILINE))
    settings = {f"DLV_{field.upper()}" for field in Settings.__struct_fields__}

    assert settings - rows == set(), "settings missing from the README table"
    assert rows - settings == set(), "README rows for settings DLV does not read"
