"""Text folding shared by every name and query match: case, accents and punctuation ignored."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: "Albrecht Dürer" -> "albrecht durer"."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", plain.replace("ß", "ss")))
