"""The texts' gettext catalogs: complete in every language, well formed, and found by
folder, so that a translator's new `.po` file is all a new language takes."""

from __future__ import annotations

import re
import shutil
import string
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po

from core.messages import CATALOGS, DEFAULT_LANGUAGE, LANGUAGES, catalogs
from intake.catalog_template import default_folder, template

POT = catalogs.LOCALE_DIR / f"{catalogs.DOMAIN}.pot"


def fields(text: str) -> set[str]:
    """The parameters a text uses ({due.year} uses `due`)."""
    return {f.split(".")[0] for _, f, _, _ in string.Formatter().parse(text) if f}


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    zh, en = CATALOGS["zh"], CATALOGS["en"]
    assert zh.keys() == en.keys()
    for key in zh:
        assert fields(zh[key]) == fields(en[key]), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_key_translated_with_its_placeholders(language: str) -> None:
    """An empty or fuzzy entry counts as missing: it is not translated yet."""
    default, texts = CATALOGS[DEFAULT_LANGUAGE], CATALOGS[language]
    assert sorted(default.keys() - texts.keys()) == []
    assert sorted(texts.keys() - default.keys()) == []
    for key, text in default.items():
        assert fields(texts[key]) == fields(text), key


@pytest.mark.parametrize("path", sorted(catalogs.LOCALE_DIR.glob("*/LC_MESSAGES/*.po")))
def test_every_po_file_parses(path: Path) -> None:
    with path.open("rb") as f:
        catalog = read_po(f, abort_invalid=True)
    assert str(catalog.locale) == path.parts[-3]
    assert len([m for m in catalog if m.id]) == len(CATALOGS[DEFAULT_LANGUAGE])


def test_the_template_is_the_default_catalog_without_its_texts() -> None:
    """`make pot` was run after the last change to the keys."""
    with POT.open("rb") as f:
        pot = read_po(f, abort_invalid=True)
    keys = [m.id for m in pot if m.id]
    assert keys == list(CATALOGS[DEFAULT_LANGUAGE])
    assert all(not m.string for m in pot if m.id)
    not_dated = re.compile(r'^"POT-Creation-Date: .*\n', re.MULTILINE)
    fresh = template(catalogs.LOCALE_DIR, default_folder(catalogs.LOCALE_DIR))
    assert not_dated.sub("", fresh) == not_dated.sub("", POT.read_text(encoding="utf-8"))


def test_the_languages_are_the_catalog_folders_default_first() -> None:
    found = [c.code for c in catalogs.load()]
    assert sorted(found) == sorted(LANGUAGES)
    assert LANGUAGES[0] == DEFAULT_LANGUAGE == "zh"


def test_a_new_language_folder_is_picked_up(tmp_path: Path) -> None:
    """A bank adding Traditional Chinese drops a translated copy of the template in."""
    root = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE_DIR, root)
    hant = catalogs.catalog_path(root, "zh_Hant")
    hant.parent.mkdir(parents=True)
    po = catalogs.catalog_path(root, "zh_Hans").read_text(encoding="utf-8")
    hant.write_text(po.replace('msgstr "投诉"', 'msgstr "投訴"'), encoding="utf-8")
    (root / "not_a_language").mkdir()  # a folder without a catalog is not one

    found = {c.code: c for c in catalogs.load(root)}
    assert sorted(found) == ["en", "zh", "zh-hant"]
    assert str(found["zh-hant"].locale) == "zh_Hant"
    assert found["zh-hant"].texts["menu.complaint"] == "投訴"
    assert found["zh-hant"].texts.keys() == found["zh"].texts.keys()


@pytest.mark.parametrize(
    ("folder", "code"),
    [("zh_Hans", "zh"), ("zh", "zh"), ("en", "en"), ("zh_Hant", "zh-hant"), ("en_GB", "en-gb")],
)
def test_a_folder_is_known_by_its_bare_language_unless_another_script_or_region(
    folder: str, code: str
) -> None:
    assert catalogs.language_code(Locale.parse(folder)) == code


def test_an_untranslated_entry_is_missing(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid "a"\nmsgstr "A"\n\nmsgid "b"\nmsgstr ""\n\n#, fuzzy\nmsgid "c"\nmsgstr "C?"\n',
        encoding="utf-8",
    )
    assert catalogs.read_texts(po) == {"a": "A"}
