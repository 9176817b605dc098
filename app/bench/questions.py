"""`museum eval questions`: the visitor-question table (data/knowledge/questions_eval.csv) asked one by one.

Each row is a question a visitor might type (kind, variant: plain, typo, fr, de, es, it), its split (`val` to choose
thresholds on, `test` to report) and what a right reply holds: `;`-separated items that must all appear, each
with `|`-separated alternatives (accents and case ignored), or DONTKNOW for a question the knowledge base cannot
answer, whose reply must say so. A reply *invents* when it answers a DONTKNOW question, or holds a year or a
capitalised word found nowhere in the knowledge base (artists.json, works.json), the app's phrases or the question.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections import defaultdict
from pathlib import Path

from app.settings import PROJECT_ROOT
from data.text import fold

TABLE = PROJECT_ROOT / "data" / "knowledge" / "questions_eval.csv"
DONT_KNOW = "DONTKNOW"
_REFUSALS = re.compile(r"I don't know|won't guess|I can't answer|not sure what you mean|Je ne (le sais|connais)"
                       r"|kenne ich nicht|weiß ich|No lo sé|No conozco|Non lo so|Non conosco", re.I)
_NO_FACT = re.compile(r"^(Which artist do you mean|Name two artists to compare|I haven't made a guess yet"
                      r"|Show me a painting first)", re.I)
# The intent a right reply comes from, by kind (kinds without one are scored on their reply only).
EXPECTED_INTENT = {"work_who": "work", "work_when": "work", "work_where": "work", "work_what": "work",
                   "work_story": "work", "unknown_work": "work", "teachers": "teachers", "influences": "influences",
                   "circle": "circle", "art_kind": "art_kind", "media": "media", "places": "places",
                   "movement": "movement", "about": "about"}


def read_table(path: Path | str = TABLE) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def refused(reply: str) -> bool:
    return bool(_REFUSALS.search(reply))


def right(reply: str, expect: str) -> bool:
    if expect == DONT_KNOW:
        return refused(reply)
    folded = fold(reply)
    return all(any(fold(alternative) in folded for alternative in item.split("|")) for item in expect.split(";"))


def known_words() -> set[str]:
    """Every folded word of the knowledge base and the app's phrases."""
    texts = [(PROJECT_ROOT / "data" / "knowledge" / name).read_text(encoding="utf-8")
             for name in ("artists.json", "works.json")]
    texts.append((PROJECT_ROOT / "app" / "conversation" / "i18n.json").read_text(encoding="utf-8"))
    return set(fold(" ".join(texts)).split())


def invented(reply: str, question: str, expect: str, known: set[str]) -> list[str]:
    """What the reply says that the knowledge base does not hold: the whole reply for an answered DONTKNOW (a reply
    that states no fact, such as "Which artist do you mean?", is wrong there but invents nothing)."""
    if expect == DONT_KNOW:
        return [] if refused(reply) or _NO_FACT.search(reply) else [reply[:80]]
    asked = set(fold(question).split())
    claims = re.findall(r"\b\d{3,4}\b", reply) + re.findall(r"(?<=\s)[A-ZÀ-Ý][\w'-]{2,}", reply)
    return [claim for claim in claims if any(w not in known and w not in asked for w in fold(claim).split())]


def run(resources, rows: list[dict], split: str = "all") -> dict:
    from app.conversation.engine import Message, SessionState, respond

    known = known_words()
    chosen = [row for row in rows if split == "all" or row["split"] == split]
    results = []
    for row in chosen:
        started = time.perf_counter()
        _, reply = respond(resources, SessionState(), Message(text=row["question"]))
        seconds = time.perf_counter() - started
        made_up = invented(reply.text, row["question"], row["expect"], known)
        expected, intent = EXPECTED_INTENT.get(row["kind"]), reply.data.get("intent")
        results.append({**row, "reply": reply.text, "intent": intent, "seconds": seconds,
                        "right": right(reply.text, row["expect"]), "invented": made_up,
                        "intent_right": None if expected is None else intent == expected})
    return {"split": split, "questions": len(results), "results": results, **summary(results)}


def summary(results: list[dict]) -> dict:
    by_kind: dict[str, list[dict]] = defaultdict(list)
    by_variant: dict[str, list[dict]] = defaultdict(list)
    for result in results:
        by_kind[result["kind"]].append(result)
        by_variant[result["variant"]].append(result)
    share = lambda items: sum(r["right"] for r in items) / len(items) if items else 0.0
    intents = lambda items: [r["intent_right"] for r in items if r["intent_right"] is not None]
    return {
        "accuracy": share(results), "invented": sum(bool(r["invented"]) for r in results),
        "kinds": {kind: {"n": len(items), "right": share(items), "invented": sum(bool(r["invented"]) for r in items),
                         "intent_right": (sum(intents(items)) / len(intents(items))) if intents(items) else None}
                  for kind, items in sorted(by_kind.items())},
        "variants": {variant: {"n": len(items), "right": share(items)}
                     for variant, items in sorted(by_variant.items())},
        "seconds_median": sorted(r["seconds"] for r in results)[len(results) // 2] if results else 0.0,
    }


def describe(report: dict, wrong: bool = False) -> str:
    lines = [f"{report['questions']} questions ({report['split']}): {report['accuracy']:.3f} right, "
             f"{report['invented']} invented; median turn {report['seconds_median'] * 1000:.0f} ms",
             f"  {'kind':14s} {'n':>4s} {'right':>6s} {'intent':>7s} {'invented':>9s}"]
    for kind, figures in report["kinds"].items():
        intent = f"{figures['intent_right']:.2f}" if figures["intent_right"] is not None else "—"
        lines.append(f"  {kind:14s} {figures['n']:4d} {figures['right']:6.2f} {intent:>7s} {figures['invented']:9d}")
    variants = report["variants"].items()
    lines.append("  by variant: " + ", ".join(f"{v} {f['right']:.2f} ({f['n']})" for v, f in variants))
    if wrong:
        for r in report["results"]:
            if not r["right"] or r["invented"]:
                lines.append(f"\n  [{r['id']} {r['kind']} {r['intent']}] {r['question']}  (expect {r['expect']})"
                             f"{'  INVENTED ' + json.dumps(r['invented'], ensure_ascii=False) if r['invented'] else ''}"
                             f"\n    {r['reply'][:300]}")
    return "\n".join(lines)


def timing(resources, rows: list[dict]) -> dict:
    """Text-turn times in a running app: every part loaded (`app.conversation.warm`), the table asked once to warm the
    painters' sentence vectors, then asked again and timed."""
    from app.conversation.engine import Message, SessionState, respond, warm

    warm(resources)
    for row in rows:
        respond(resources, SessionState(), Message(text=row["question"]))
    seconds = []
    for row in rows:
        started = time.perf_counter()
        respond(resources, SessionState(), Message(text=row["question"]))
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    pick = lambda q: seconds[min(len(seconds) - 1, int(q * len(seconds)))]
    return {"turns": len(seconds), "median_s": pick(0.5), "p95_s": pick(0.95), "max_s": seconds[-1]}
