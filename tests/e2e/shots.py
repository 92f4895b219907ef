"""Screenshots of a test's pages at desktop (1280 px) and phone (390 px) widths, for people to
look at: into $GRATIA_SCREENSHOTS when set (as test_screenshots_and_axe), else the test's
temporary folder."""

import os
from pathlib import Path

WIDTHS = {"desktop": 1280, "phone": 390}


def shoot(page, tmp_path, name: str) -> None:
    folder = Path(os.environ.get("GRATIA_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for form_factor, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": size["height"] if size else 900})
        page.screenshot(path=folder / f"{name}-{form_factor}.png", full_page=True)
    if size:
        page.set_viewport_size(size)
