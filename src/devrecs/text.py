"""Text that every output can write: valid Unicode, without lone surrogates.

JSON and YAML readers build a lone surrogate from an escape such as
``"\\ud800"``; Python keeps it in a str, but no UTF-8 output (a report, the
store, a CSV or JSON file, the terminal) can write it. Records and rule
files holding one are refused where they are read, naming the field.
"""

from __future__ import annotations

from typing import Optional


def text_problem(text: str) -> Optional[str]:
    """Why this text cannot be written out, or None. The text itself is not quoted."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"text with a lone surrogate (U+{ord(text[exc.start]):04X}, character {exc.start + 1}) "
                f"is not valid Unicode")
    return None


def shown(text: str) -> str:
    """Text as it can be printed: a lone surrogate as its escape (\\ud800)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


__all__ = ["shown", "text_problem"]
