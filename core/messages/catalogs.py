"""Reading the gettext catalogs that hold the texts: one `.po` file per language.

The catalogs live in `locale/<locale>/LC_MESSAGES/messages.po` next to this module, the
layout gettext tools and translators expect. The message id is the text's key
("case.filed"), the message string its text. This is the one place in `core/` that reads
files: the bundled catalogs, once, when `core.messages` is imported — they are data
shipped with the code, not state, so reading them keeps every function of core pure.

The list of languages is the list of folders: a folder named after a locale, holding a
translated `messages.po`, is a language. A folder's language code is its bare language
("zh_Hans" is "zh", "en" is "en") when its script is the one that language is written
in by default, and otherwise the whole locale in lower case ("zh_Hant" is "zh-hant"),
so that two scripts of one language never share a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.core import get_global
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"


@dataclass(frozen=True)
class Catalog:
    """One language's texts by key, and the locale its dates are written in."""

    code: str
    locale: Locale
    texts: dict[str, str]


def language_code(locale: Locale) -> str:
    """The code a catalog folder's language is known by (see above)."""
    likely = Locale.parse(get_global("likely_subtags").get(locale.language, locale.language))
    if locale.territory is None and locale.script in (None, likely.script):
        return locale.language
    return str(locale).replace("_", "-").lower()


def catalog_path(root: Path, identifier: str) -> Path:
    return root / identifier / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_texts(path: Path) -> dict[str, str]:
    """The translated texts of one `.po` file. An entry left empty or marked fuzzy is not
    translated yet and is left out, as gettext does."""
    with path.open("rb") as f:
        catalog = read_po(f, domain=DOMAIN)
    # Plural entries (tuples) are not used: every text is one string.
    return {
        m.id: m.string
        for m in catalog
        if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string and not m.fuzzy
    }


def load(root: Path = LOCALE_DIR) -> list[Catalog]:
    """Every language under `root`, in the order of their folder names."""
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        path = catalog_path(root, folder.name)
        if path.is_file():
            locale = Locale.parse(folder.name)
            found.append(Catalog(language_code(locale), locale, read_texts(path)))
    return found
