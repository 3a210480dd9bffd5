"""``nnscratch export MODEL digit.html``: a network shared as one HTML file that draws, reads
and explains digits in the browser, offline, with nothing installed.

:func:`~.page.write_page` writes it; :mod:`.network` describes the network for the page's
forward pass (static/forward.js); :mod:`.bundle` inlines the page's ES modules.
"""

from .page import Provenance, render_page, runtime, write_page

__all__ = ["Provenance", "render_page", "runtime", "write_page"]
