"""axe-core in the page, for the accessibility gate: the test-only copy .ci/run installs with
npm into tests/browser/axe/ (pinned in its package.json; never shipped in the package, never
fetched at run time). It is added to a browser context as an init script, which the page's CSP
does not govern, so the page itself keeps its policy."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0-2.2 A and AA, and axe's best practices (heading order, landmarks, ...).
RUN = """async () => {
    const result = await axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',
                                         'best-practice'] },
        resultTypes: ['violations'],
    });
    return { version: axe.version, violations: result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    })) };
}"""


def with_axe(context) -> None:
    """Make axe-core available as ``window.axe`` in every page of ``context``; the test fails
    (never skips) without it."""
    if not AXE.exists():
        pytest.fail(
            f"{AXE} is missing: install the browser tests' tools with "
            f"`npm install --prefix tests/browser/axe --no-package-lock` (as .ci/run does)"
        )
    context.add_init_script(path=str(AXE))


def violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now."""
    return page.evaluate(RUN)["violations"]


def describe(found: list[dict]) -> str:
    """The violations as a report a person can act on."""
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines += [f"    {n['target']}: {' '.join(n['summary'].split())}" for n in v["nodes"][:5]]
    return "\n".join(lines)
