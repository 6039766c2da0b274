"""Writes the translators' template, `core/messages/locale/messages.pot` (`make pot`).

The template has every key of the default language's catalog, in its order, with an
empty text. Because a key ("case.filed") says little to a translator, each entry carries
the texts every language already has as comments: a translator of a new language works
from those. Run it after adding or changing keys in the `.po` files.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from core.messages import DEFAULT_LANGUAGE, catalogs

HEADER = """\
# Template of the texts of feedback-intake, one entry per key: copy it to
# locale/<locale>/LC_MESSAGES/messages.po and write each text in its msgstr.
# The comments show the text in the languages there are already."""
# Babel wraps comments at the given width; a text's lines are shown as they are.
NO_WRAP = 10_000


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, domain=catalogs.DOMAIN)


def _as_comments(identifier: str, text: str) -> list[str]:
    first, *rest = text.split("\n")
    return [f"{identifier}: {first}", *(f"{identifier}+ {line}" for line in rest)]


def template(root: Path, default: str) -> str:
    """The `.pot` text for the catalogs under `root`, `default` being the default
    language's folder."""
    folders = [
        p.name
        for p in sorted(root.iterdir())
        if p.name != default and catalogs.catalog_path(root, p.name).is_file()
    ]
    sources = {name: _read(catalogs.catalog_path(root, name)) for name in [default, *folders]}
    pot = Catalog(
        domain=catalogs.DOMAIN,
        header_comment=HEADER,
        project="feedback-intake",
        version="1",
        msgid_bugs_address="",
        last_translator="",
        language_team="",
        fuzzy=False,
    )
    for message in sources[default]:
        if not message.id:
            continue
        comments = list(message.auto_comments)
        for name, source in sources.items():
            known = source.get(message.id)
            if known is not None and isinstance(known.string, str) and known.string:
                comments += _as_comments(name, known.string)
        pot[message.id] = Message(message.id, "", auto_comments=comments, flags=message.flags)
    out = io.BytesIO()
    write_po(out, pot, width=NO_WRAP)
    return out.getvalue().decode("utf-8")


def default_folder(root: Path) -> str:
    """The folder of the default language's catalog ("zh_Hans")."""
    return str(next(c.locale for c in catalogs.load(root) if c.code == DEFAULT_LANGUAGE))


def main() -> None:
    root = catalogs.LOCALE_DIR
    path = root / f"{catalogs.DOMAIN}.pot"
    path.write_text(template(root, default_folder(root)), encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
