"""The project's translation catalogues, compiled with Babel (no GNU gettext needed): docs/i18n.md.

Django loads, for each language, `locale/<lang>/LC_MESSAGES/django.mo` from LOCALE_PATHS and
from every installed app's own `locale/` folder. Ours are `locale/` at the top and `<app>/locale/`;
Django's and third-party apps' catalogues ship compiled. `python -m core.i18n` (run by
`make install`, the Dockerfile and the test run) writes each `.mo` beside its `.po` when the
`.po` is newer; it needs no settings, so it runs before any database exists.
"""

import os
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

BASE_DIR = Path(__file__).resolve().parent.parent


def catalogues(base: Path = BASE_DIR) -> list[Path]:
    """Every catalogue of the project (django.po, and djangojs.po for the page scripts): locale/
    and each app's <app>/locale/."""
    return sorted([*base.glob("locale/*/LC_MESSAGES/*.po"), *base.glob("*/locale/*/LC_MESSAGES/*.po")])


def compile_catalogues(*, base: Path = BASE_DIR, force: bool = False) -> list[Path]:
    """Compile each catalogue whose .mo is missing or older than its .po; returns those written.
    Fuzzy entries are left out, as msgfmt does."""
    written = []
    for po in catalogues(base):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        partial = mo.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        partial.replace(mo)  # atomic: parallel test workers never read half a catalogue
        written.append(mo)
    return written


if __name__ == "__main__":
    written = compile_catalogues(force="--force" in sys.argv)
    print(f"Compiled {len(written)} translation catalogue(s)." if written else "Translation catalogues are up to date.")
