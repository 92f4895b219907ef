"""Screenshots of a test's pages at desktop and phone widths, for people to look at: into
$SCREENSHOTS_DIR when set (e.g. /tmp/shots/<name>), else the test's temporary folder."""

import os
from pathlib import Path

WIDTHS = {"desktop": 1280, "phone": 390}


def shoot(page, tmp_path, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for form_factor, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": size["height"] if size else 900})
        page.screenshot(path=folder / f"{name}-{form_factor}.png", full_page=True)
    if size:
        page.set_viewport_size(size)
