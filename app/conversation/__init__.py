"""The conversation: one visitor's turn in, one reply out, in the visitor's language.

    respond(resources, state, Message(text=..., image=...)) -> (SessionState, Reply)
    warm(resources) -> {part: reason}       load what a turn uses, before the first visitor

engine.py runs a turn; intents.py says what a message asks for; answers.py, artworks.py, collection.py and
paintings.py say what the knowledge base, the works index, the collection and an image hold; turns.py holds the
session and the reply; i18n.py (and i18n.json) every phrase in five languages.
"""

from app.conversation.engine import respond, warm
from app.conversation.turns import Message, Reply, SessionState

__all__ = ["Message", "Reply", "SessionState", "respond", "warm"]
