"""The operator-facing lines of the CLI in English and Japanese.

The language comes from `--lang`, then `HADRILL_LANG`, then the locale (the first of LC_ALL,
LC_MESSAGES, LANG that is set: a value starting with `ja` means Japanese, anything else English).
Only the lines people read are translated: `--json` output, argparse's --help, Step Functions state
names and statuses (SUCCEEDED, FAILED: what the console and the logs show) and the text the Lambdas
return stay as they are, so scripts and searches keep working.

`main()` picks the language once per run with `use()`; the commands then call `t(key, **values)`.
The English entries reproduce the CLI's original wording exactly (tests and operators' scripts grep
for them).

Japanese terms follow what LifeKeeper operators say: フェールオーバー (failover), 切り戻し
(switchback), 訓練 (drill), 稼働系 (the primary, active node), 待機系 (the standby), RTO,
リソース階層 (resource hierarchy), フリート訓練 (a fleet drill: one scenario on many clusters),
同時実行数 (concurrency).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, get_args

Language = Literal["en", "ja"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def read_catalog(path: Path) -> dict[str, dict[Language, str]]:
    """A message table: ``KEY.en = "..."`` and ``KEY.ja = "..."`` lines of TOML, as {key: {language: template}}."""
    with path.open("rb") as table:
        return tomllib.load(table)


# key -> {language: str.format template}, from messages.toml (one KEY.en and KEY.ja line each) and
# status_messages.toml. Both languages must use the same placeholders (tests/cli/test_messages.py checks it).
CATALOG: dict[str, dict[Language, str]] = read_catalog(Path(__file__).with_name("messages.toml"))

# Outcomes stay the words the records and the JSON use; Japanese adds a gloss after them.
OUTCOME_GLOSS_JA = {"PASSED": "合格", "FAILED": "不合格", "ABORTED": "中止"}

_language: Language = "en"


def language_of_locale(environ: Mapping[str, str]) -> Language:
    """POSIX order: the first of LC_ALL, LC_MESSAGES, LANG that is set decides (LC_ALL=C wins over LANG=ja)."""
    for variable in LOCALE_VARIABLES:
        value = environ.get(variable, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def parse_language(value: str) -> Language | None:
    """`ja`, `ja_JP.UTF-8`, `en`, `en_US` -> the language; anything else None."""
    lowered = value.strip().lower()
    return next((language for language in LANGUAGES if lowered.startswith(language)), None)


def resolve_language(option: str | None, environ: Mapping[str, str] | None = None) -> Language:
    """`--lang`, then HADRILL_LANG, then the locale. Raises ValueError for a HADRILL_LANG it cannot read."""
    env = os.environ if environ is None else environ
    if option:
        chosen = parse_language(option)
        if chosen is None:
            raise ValueError(f"--lang must be one of {', '.join(LANGUAGES)}")
        return chosen
    override = env.get("HADRILL_LANG", "")
    if override:
        chosen = parse_language(override)
        if chosen is None:  # an explicit override that is wrong should say so, not silently fall back
            raise ValueError(f"HADRILL_LANG={override} is not one of {', '.join(LANGUAGES)}")
        return chosen
    return language_of_locale(env)


def use(language: Language) -> None:
    """Set the language for the rest of this run (main() calls it once, before any output)."""
    global _language
    _language = language


def current() -> Language:
    return _language


def t(key: str, **values: object) -> str:
    """The message `key` in the current language, filled in with `values`."""
    return CATALOG[key][_language].format(**values)


def outcome_text(outcome: str) -> str:
    """PASSED, or in Japanese `PASSED (合格)`: the machine word stays so it can be searched for."""
    gloss = OUTCOME_GLOSS_JA.get(outcome) if _language == "ja" else None
    return f"{outcome} ({gloss})" if gloss else outcome


# `hadrill status` (issue 17) keeps its lines in their own file, merged here.
from hadrill_cli.status_messages import STATUS_CATALOG  # noqa: E402

CATALOG.update(STATUS_CATALOG)
