"""Links to a place on a page: ``focus=<anchor>`` in the address (next to the page's own parameters, such as
``?id=42&initiative_tabs=Benefits``) opens that place and scrolls the browser to it, once.

The anchors are domain values (``workflows.rules.FIX_AT``); each page says which element is the place of an
anchor. The parameter is taken from the address by the run it opens, so a later run (a click, a refresh)
leaves the page as the user left it.
"""

from __future__ import annotations

import json
import time
from typing import Optional

import streamlit as st

FOCUS = "focus"
_THIS_RUN = "focus_of_this_run"

# Scrolls to the element whose key is given (Streamlit marks a keyed element with the class st-key-<key>) and
# puts the cursor in its first field. The element and its fields are drawn after this script runs, some only
# once their code has loaded, so it looks a few times a second until the run has ended and the first field
# has stayed the same for a moment (two seconds while there is none); for two seconds more it keeps the
# cursor in the first field drawn (a field drawn before it, or the same field drawn anew). It gives up at once
# when the user clicks, types or moves the cursor, and after twenty seconds; a place without a field gets the
# cursor itself.
_SCROLL = """<script>
(() => {{
  const selector = {selector};
  const kinds = ["pointerdown", "keydown", "input", "focusin"];
  let tries = 0, seen = null, steady = 0, focused = null, after = 0, ours = false, touched = false;
  const touch = () => {{ if (!ours) touched = true; }};
  const give = (element) => {{ ours = true; focused = element; element.focus({{preventScroll: true}}); ours = false; }};
  const stop = () => {{
    clearInterval(timer);
    kinds.forEach((kind) => document.removeEventListener(kind, touch, true));
  }};
  kinds.forEach((kind) => document.addEventListener(kind, touch, true));
  const timer = setInterval(() => {{
    if (touched) return stop();
    const place = document.querySelector(selector);
    const field = place && place.querySelector("input, textarea");
    if (focused) {{
      const kept = document.activeElement === focused;
      const lost = !focused.isConnected && (!document.activeElement || document.activeElement === document.body);
      if (++after > 20 || !(kept || lost)) return stop();
      if (field && field !== focused) give(field);
      return;
    }}
    const app = document.querySelector('[data-testid="stApp"]');
    const running = app && app.getAttribute("data-test-script-state") === "running";
    steady = place && !running && field === seen ? steady + 1 : 0;
    seen = field;
    const last = ++tries > 200;
    // A field's code may still be loading: a place without one is given two seconds to draw it.
    if (steady < (field ? 3 : 20) && !last) return;
    if (!place) return stop();
    place.scrollIntoView({{block: "center"}});
    const target = field || place.querySelector("summary, button, [tabindex]");
    if (!target) return stop();
    give(target);
  }}, 100);
}})(/* {nonce}: each scroll differs, so the browser runs it even where an earlier one stood */);
</script>"""


def take_focus() -> Optional[str]:
    """The anchor the address names (``focus=``), taken out of it; None when it names none. Call it once per
    run, before the page draws; ``focus()`` then answers for the rest of the run."""
    anchor = st.query_params.get(FOCUS)
    if anchor is not None:
        del st.query_params[FOCUS]
    st.session_state[_THIS_RUN] = anchor
    return anchor


def focus() -> Optional[str]:
    """The anchor this run was opened at (see ``take_focus``), or None."""
    return st.session_state.get(_THIS_RUN)


def scroll_to(key: str) -> None:
    """Scroll the browser to the element drawn with ``key`` and put the cursor in its first field. ``key`` is
    the page's own widget key, never text from the address."""
    selector = json.dumps(f".st-key-{key}").replace("<", "\\u003c")
    st.html(_SCROLL.format(selector=selector, nonce=time.time_ns()), unsafe_allow_javascript=True)
