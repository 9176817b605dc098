"""The explanation in words, built only from facts the system computed: the predicted
artist and its calibrated probability, the movement, the alternatives and how close
the nearest example paintings are. No art-historical claims are made up here."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Facts:
    artist: str  # the explained label (the top artist unless the visitor asked about another)
    probability: float  # its calibrated probability
    top: list[tuple[str, float]]  # the classifier's top artists
    known: bool  # whether the classifier answers with a known artist at all
    asked: bool = False  # the visitor named the label
    movement: tuple[str, float] | None = None
    examples: list[tuple[str, float]] = field(default_factory=list)  # (title, cosine similarity)
    method: str = "heatmap"


def percent(p: float) -> str:
    """A probability for people: never "0%" for a live alternative nor "100%" for a guess."""
    if p < 0.01:
        return "<1%"
    return ">99%" if p > 0.99 else f"{round(100 * p)}%"


_WHERE = {"heatmap": "The bright areas of the heatmap weighed most in this answer.",
          "lime": "The green regions are the parts of the picture that raised this probability most.",
          "examples": ""}


def describe(facts: Facts) -> str:
    others = [(a, p) for a, p in facts.top if a != facts.artist][:2]
    alternatives = ", ".join(f"{a} ({percent(p)})" for a, p in others)
    if facts.asked:
        first = f"For {facts.artist} I give {percent(facts.probability)}"
        first += f"; my top answer is {facts.top[0][0]} ({percent(facts.top[0][1])})." \
            if facts.top[0][0] != facts.artist else "; it is my top answer."
    elif facts.known:
        first = f"I think this is by {facts.artist} ({percent(facts.probability)} sure)"
        first += f"; next come {alternatives}." if alternatives else "."
    else:
        first = (f"It does not look enough like any of the artists I know to name one; the closest is "
                 f"{facts.artist} ({percent(facts.probability)})"
                 + (f", then {alternatives}." if alternatives else "."))
    parts = [first]
    if facts.movement:
        parts.append(f"The movement it looks closest to is {facts.movement[0]} ({percent(facts.movement[1])}).")
    if facts.examples:
        title, score = facts.examples[0]
        parts.append(f"The most similar painting by {facts.artist} in the collection is \u201c{title}\u201d "
                     f"(similarity {score:.2f}).")
    if _WHERE.get(facts.method):
        parts.append(_WHERE[facts.method])
    return " ".join(parts)
