"""The French catalogue (locale/fr), compiled for tests.

Django reads compiled catalogues (.mo) only; the repository keeps the .po. This compiles it
with Babel next to the .po (the .mo is ignored by git) and makes Django load it afresh.
"""

from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.utils.translation import reloader

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def compile_catalogue(po: Path = CATALOGUE) -> Path:
    mo = po.with_suffix(".mo")
    with po.open("rb") as source:
        catalogue = read_po(source)
    with mo.open("wb") as target:
        write_mo(target, catalogue)
    reloader.translation_file_changed(sender=None, file_path=mo)  # forget the catalogues loaded so far
    return mo


@pytest.fixture(scope="session")
def french():
    """The French catalogue, compiled and loaded."""
    compile_catalogue()
    return "fr"
