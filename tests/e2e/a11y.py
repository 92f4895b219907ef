"""axe-core (vendored: tests/e2e/vendor, from the npm registry) run inside a page by Playwright."""

from pathlib import Path

AXE = (Path(__file__).parent / "vendor" / "axe-core-4.11.4.min.js").read_text()
BLOCKING = ("serious", "critical")


def axe_violations(page, *, context="document") -> list[str]:
    """The serious and critical violations of the page as it is now, one line each. The script
    goes in through the DevTools protocol (page.evaluate), which the page's CSP doesn't govern."""
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(AXE + "\n;void 0")
    results = page.evaluate(
        "async (context) => (await axe.run(context === 'document' ? document : document.querySelector(context),"
        " {resultTypes: ['violations']})).violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))",
        context,
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}" for v in results if v["impact"] in BLOCKING]
