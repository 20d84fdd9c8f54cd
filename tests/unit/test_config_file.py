"""Config files that used to crash or stall the loader (issue 15, classes 2, 3 and 4).

Each is refused with ``config error: FILE: ...`` on one line: not UTF-8, NUL bytes (with their line),
huge integer literals, impossible dates, duplicate keys, alias bombs, deep nesting. Every value a
message quotes is cut, so no message is longer than a few hundred characters.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz.surfaces import default_with_one_value
from hadrill.errors import QUOTE_LIMIT, shown
from hadrill_cli.main import main as hadrill_main
from stacks import yaml_file
from stacks.config import ConfigError, load_config, parse_config
from stacks.fleet.config import load_fleet

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TEXT = (REPO / "config" / "default.yaml").read_text(encoding="utf-8")
# Longest one-line message any refused file may produce: the path, a field and a cut value.
MESSAGE_LIMIT = 400


def _refused(path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message, message
    assert len(message) < len(str(path)) + MESSAGE_LIMIT, message
    return message


def _file(tmp_path: Path, raw: bytes, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    return path


# ---- class 3: files that crashed the loader ----------------------------------------------------------
ENCODED = [
    ("shift_jis", DEFAULT_TEXT.replace("hulft-vip", "hulft-vip") + "# 日本語のコメント\n", "shift_jis"),
    ("euc_jp", "# 設定ファイル\n" + DEFAULT_TEXT, "euc_jp"),
    ("latin-1", "# caf\u00e9\n" + DEFAULT_TEXT, "latin-1"),
    ("utf-16", DEFAULT_TEXT, "utf-16"),
    ("utf-16-le without BOM", DEFAULT_TEXT, "utf-16-le"),
]


@pytest.mark.parametrize(("case", "text", "encoding"), ENCODED, ids=[c[0] for c in ENCODED])
def test_a_file_that_is_not_utf8_is_refused_in_one_line(tmp_path: Path, case: str, text: str, encoding: str) -> None:
    message = _refused(_file(tmp_path, text.encode(encoding)))
    assert "UTF-8" in message or "U+0000" in message, message


def test_shift_jis_names_the_line(tmp_path: Path) -> None:
    raw = ("cluster_name: hulft-demo\n# 本番クラスタ\n").encode("shift_jis")
    assert _refused(_file(tmp_path, raw)).endswith("not UTF-8 text (byte 0x96 at line 2); save the file as UTF-8")


def test_binary_is_refused(tmp_path: Path) -> None:
    _refused(_file(tmp_path, bytes(range(256)) * 4))


def test_a_nul_byte_is_refused_with_its_line(tmp_path: Path) -> None:
    raw = DEFAULT_TEXT.replace("hulft-vip", "hulft\x00vip").encode()
    line = DEFAULT_TEXT[: DEFAULT_TEXT.index("hulft-vip")].count("\n") + 1
    assert _refused(_file(tmp_path, raw)).endswith(f"control character U+0000 at line {line}; a settings file is text")


def test_a_5000_digit_integer_is_refused(tmp_path: Path) -> None:
    raw = DEFAULT_TEXT.replace("root_volume_gib: 30", "root_volume_gib: " + "9" * 5000).encode()
    message = _refused(_file(tmp_path, raw))
    assert "a number with 5000 digits at line" in message


def test_an_impossible_date_is_refused(tmp_path: Path) -> None:
    raw = (DEFAULT_TEXT + "\nwhen: 2001-13-45\n").encode()
    assert "a value YAML cannot build" in _refused(_file(tmp_path, raw))


def test_a_utf8_bom_is_fine(tmp_path: Path) -> None:
    assert load_config(_file(tmp_path, b"\xef\xbb\xbf" + DEFAULT_TEXT.encode())).cluster_name == "hulft-demo"


def test_japanese_comments_in_utf8_are_fine(tmp_path: Path) -> None:
    raw = ("# 本番クラスタの設定\n" + DEFAULT_TEXT).encode()
    assert load_config(_file(tmp_path, raw)).cluster_name == "hulft-demo"


def test_the_cli_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = _file(tmp_path, ("# 本番\n" + DEFAULT_TEXT).encode("shift_jis"))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = hadrill_main(["drill", "--local", "--config", str(path), "--lang", "en"])
    assert code == 2
    assert "Traceback" not in err.getvalue()
    assert f"config error: {path}: not UTF-8 text (byte 0x96 at line 1)" in err.getvalue()


# ---- class 2: duplicate keys -------------------------------------------------------------------------
def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    raw = DEFAULT_TEXT.replace("cluster_name: hulft-demo", "cluster_name: hulft-demo\ncluster_name: hulft-prod")
    message = _refused(_file(tmp_path, raw.encode()))
    assert "key 'cluster_name' is given twice at line" in message
    assert "(first at line" in message


def test_a_nested_key_given_twice_is_refused(tmp_path: Path) -> None:
    raw = DEFAULT_TEXT.replace("  receive_port: 30000", "  receive_port: 30000\n  receive_port: 30001")
    assert "key 'receive_port' is given twice" in _refused(_file(tmp_path, raw.encode()))


def test_merge_keys_may_override_what_they_merge() -> None:
    data = yaml_file.parse("base: &b {a: 1, c: 2}\nderived:\n  <<: *b\n  a: 3\n")
    assert data["derived"] == {"a": 3, "c": 2}


def test_a_fleet_file_is_read_the_same_way(tmp_path: Path) -> None:
    fleet = _file(tmp_path, b"fleet_name: f1\nfleet_name: f2\nclusters: [c.yaml]\n", "fleet.yaml")
    with pytest.raises(ConfigError, match=r"fleet\.yaml: key 'fleet_name' is given twice"):
        load_fleet(fleet)


# ---- class 4: resource exhaustion --------------------------------------------------------------------
def _billion_laughs(levels: int, width: int = 10) -> str:
    lines = ['l0: &l0 ["lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [6, 9, 12])
def test_an_alias_bomb_is_refused_quickly(tmp_path: Path, levels: int) -> None:
    text = _billion_laughs(levels)
    assert len(text) < 4096
    message = _refused(_file(tmp_path, text.encode()))
    assert "aliases" in message or "expands to more than" in message


def test_a_few_aliases_are_fine() -> None:
    assert yaml_file.parse("a: &x [1, 2]\nb: *x\nc: *x\n") == {"a": [1, 2], "b": [1, 2], "c": [1, 2]}


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    assert "recursive alias" in _refused(_file(tmp_path, b"a: &a [1, *a]\n"))


@pytest.mark.parametrize("depth", [40, 2000, 20000])
def test_deep_nesting_is_refused(tmp_path: Path, depth: int) -> None:
    assert "nested deeper than" in _refused(_file(tmp_path, ("[" * depth + "]" * depth).encode()))


def test_aliases_cannot_hide_depth() -> None:
    text = "a: &a " + "[" * 20 + "1" + "]" * 20 + "\nb: &b " + "[" * 20 + "*a" + "]" * 20 + "\n"
    with pytest.raises(yaml_file.YamlFileError, match="nested deeper than"):
        yaml_file.parse(text)


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as stream:
        stream.truncate(yaml_file.MAX_BYTES * 50)
    assert "larger than" in _refused(path)


LONG_VALUES = [
    (
        "a 5,000-item list as a string",
        "cluster_name: hulft-demo",
        "cluster_name: [" + ", ".join(["x"] * 5000) + "]",
        "...",
    ),
    ("a 100 KB unknown key", "nodes:\n", "nodes:\n  ? " + "x" * 100_000 + "\n  : 1\n", "\u2026"),
    ("a 100 KB value", "cluster_name: hulft-demo", "cluster_name: " + "y" * 100_000, "\u2026"),
    (
        "a 100 KB plain key (YAML's own limit)",
        "nodes:\n",
        "nodes:\n  " + "k" * 100_000 + ": 1\n",
        "mapping values are not allowed",
    ),
    ("a 100 KB schedule", 'schedule: "cron(0 17 ? * SUN *)"', "schedule: cron(" + "1 " * 50_000 + ")", "\u2026"),
]


@pytest.mark.parametrize(("case", "old", "new", "cut"), LONG_VALUES, ids=[c[0] for c in LONG_VALUES])
def test_messages_quote_values_cut(tmp_path: Path, case: str, old: str, new: str, cut: str) -> None:
    assert old in DEFAULT_TEXT
    message = _refused(_file(tmp_path, DEFAULT_TEXT.replace(old, new, 1).encode()))
    assert cut in message, message


# ---- properties --------------------------------------------------------------------------------------
@given(st.binary(max_size=2000))
def test_any_bytes_load_or_are_refused_in_one_bounded_line(raw: bytes) -> None:
    with contextlib.suppress(yaml_file.YamlFileError):
        data = yaml_file.parse(yaml_file.decode(raw))
        with contextlib.suppress(ConfigError):
            parse_config(data)
    # Both outcomes are fine; anything else (a traceback) fails the test.


@given(st.text(alphabet=st.sampled_from(list("[]{}&*:-,!?|>'\"#%@`ab1 \n\t.\\")), max_size=300))
def test_yaml_punctuation_never_escapes_the_loader(text: str) -> None:
    try:
        data = yaml_file.parse(yaml_file.decode(text.encode()))
    except yaml_file.YamlFileError as error:
        assert "\n" not in str(error) and len(str(error)) < MESSAGE_LIMIT
        return
    with contextlib.suppress(ConfigError):
        parse_config(data)


_VALUES = st.one_of(
    st.text(max_size=200).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.integers().map(str),
    st.sampled_from(["true", "null", "[]", "{}", "~", "1e999", "0x" + "f" * 600, "2001-02-30", "-.inf"]),
)


@given(default_with_one_value(_VALUES))
def test_one_changed_value_is_accepted_or_refused_in_one_bounded_line(text: str) -> None:
    try:
        load = yaml_file.parse(yaml_file.decode(text.encode()))
        parse_config(load, source="c.yaml")
    except (yaml_file.YamlFileError, ConfigError) as error:
        message = str(error)
        assert "\n" not in message and len(message) < MESSAGE_LIMIT, message


@given(st.one_of(st.text(max_size=10_000), st.binary(max_size=10_000), st.lists(st.integers(), max_size=3000)))
def test_shown_is_bounded(value: object) -> None:
    assert len(shown(value)) <= QUOTE_LIMIT + 1


def test_shown_survives_a_number_too_long_for_repr() -> None:
    assert shown([10**5000 if os.environ.get("NEVER") else int("9" * 4000) * 10**400]).startswith("<a list")


PURE_PYTHON_CASES = [
    (_billion_laughs(9), "expands to more than"),
    ("[" * 5000 + "]" * 5000, "nested deeper than"),
    ("a: &a [1, *a]\n", "recursive alias"),
    ("a: 1\na: 2\n", "given twice"),
    ("a: " + "9" * 5000 + "\n", "a number with 5000 digits"),
    ("\n".join(f"k{i}: *x" for i in range(102)).replace("k0: *x", "k0: &x 1"), "more than 100 aliases"),
]


@pytest.mark.parametrize(("text", "said"), PURE_PYTHON_CASES, ids=[s for _, s in PURE_PYTHON_CASES])
def test_the_pure_python_loader_has_the_same_bounds(monkeypatch: pytest.MonkeyPatch, text: str, said: str) -> None:
    """Without libyaml the pure-Python composer applies the bounds itself."""
    monkeypatch.setattr(yaml_file, "_CLoader", None)
    with pytest.raises(yaml_file.YamlFileError, match=said):
        yaml_file.parse(text)
    assert yaml_file.parse(DEFAULT_TEXT)["cluster_name"] == "hulft-demo"


def test_libyaml_is_used_when_present() -> None:
    assert yaml_file._CLoader is not None  # the 64 KB benchmark's times assume it (python -m fuzz)
