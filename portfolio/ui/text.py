"""User-typed text on a page: shown as the characters typed, never as markup.

Streamlit reads titles, headers, captions, alerts and ``st.markdown`` bodies as Markdown (GitHub
flavour, with Streamlit's directives, math and icons). A title like ``[Log in again](http://evil)``
would become a live link and ``![t](http://host/pixel.png)`` would make the reader's browser fetch
a remote image. Every user-typed value that goes into such an element passes through ``plain``;
widgets that never interpret (``st.text``, table cells, input values) need nothing.
"""

from __future__ import annotations

import re
from typing import Iterable

from portfolio.i18n import Message, translator

# ASCII punctuation that Markdown, GitHub's extensions or Streamlit give a meaning to: escapes, code,
# emphasis, strike-through, links and images, HTML and autolinks, headings, lists and rules, tables,
# math, entities, directives and icons. Quotes, commas, semicolons, question marks, per cent, slash
# and the opening parenthesis mean nothing on their own and are left as typed.
_MARKUP = re.compile(r"[\\`*~\[\]!<>#+\-=.)|$&:{}@^]|(?<![^\W_])_|_(?![^\W_])")
# Links to bare addresses, e-mail addresses, emoji and icon short codes are found in the text after
# Markdown has removed the escapes, so an escape cannot stop them: an invisible word joiner after the
# colon or at-sign (or between "www" and its dot) breaks the pattern without changing what is read.
_TEXT_PATTERNS = re.compile(r"(?<=[:@])(?=\S)|(?i:(?<=www)(?=\.))")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """``text`` escaped so that Markdown shows it exactly as typed, line breaks kept.

    ``None`` becomes an empty string. Use it for every user-typed value that a Markdown element shows."""
    if text is None:
        return ""
    value = _TEXT_PATTERNS.sub(WORD_JOINER, str(text))
    value = _MARKUP.sub(lambda match: "\\" + match.group(0), value)
    # Each line its own line (a hard break), without the indentation that would make it a code block.
    return "  \n".join(line.strip() for line in value.splitlines())


def plain_messages(messages: Iterable[Message], language: str) -> list[str]:
    """Messages rendered in ``language`` with their parameters escaped: the sentence is the product's
    own, but a parameter may repeat what someone typed (a title, a name, a cell of a file)."""
    _ = translator(language)
    rendered = []
    for message in messages:
        params = {
            name: value if isinstance(value, (int, float)) else plain(
                value.render(language) if hasattr(value, "render") else value)
            for name, value in message.params.items()
        }
        rendered.append(_(message.msgid, **params))
    return rendered
