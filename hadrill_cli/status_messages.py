"""`hadrill status`'s lines in English and Japanese (status_messages.toml, merged into
hadrill_cli.messages.CATALOG).

Kept apart so that other commands' messages and these merge without touching the same lines. The
``status_problem_*`` and ``status_note_*`` English entries are hadrill.status's PROBLEM_TEXT and
NOTE_TEXT word for word (a test checks it): the JSON output carries the English text.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

with Path(__file__).with_name("status_messages.toml").open("rb") as _table:
    STATUS_CATALOG: dict[str, dict[Literal["en", "ja"], str]] = tomllib.load(_table)
