"""Render the app's PNG icons (192, 512 and a maskable 512) from webapp/static/icons/icon.svg.

Uses the Chromium that the browser tests use, so no image library is needed:
    .venv/bin/python scripts/make_icons.py
"""
import os
from pathlib import Path

from playwright.sync_api import sync_playwright

ICONS = Path(__file__).resolve().parent.parent / "webapp" / "static" / "icons"
CHROMIUM = os.environ.get("SOTD_CHROMIUM", "/usr/bin/chromium")

PLAIN = """<html><body style="margin:0;background:transparent">
<img src="data:image/svg+xml;base64,{svg}" width="{size}" height="{size}" style="display:block"></body></html>"""
# Maskable: the whole square painted, the emblem inside the central 80 % safe zone.
MASKABLE = """<html><body style="margin:0;background:#0b5d5b">
<img src="data:image/svg+xml;base64,{svg}" width="{inner}" height="{inner}"
 style="display:block;margin:{pad}px"></body></html>"""


def main():
    import base64
    svg = base64.b64encode((ICONS / "icon.svg").read_bytes()).decode()
    jobs = [("icon-192.png", 192, PLAIN, {}), ("icon-512.png", 512, PLAIN, {}),
            ("icon-maskable-512.png", 512, MASKABLE, {"inner": 400, "pad": 56})]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for name, size, template, extra in jobs:
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(template.format(svg=svg, size=size, **extra))
            page.screenshot(path=str(ICONS / name), omit_background=True)
            page.close()
            print(name)
        browser.close()


if __name__ == "__main__":
    main()
