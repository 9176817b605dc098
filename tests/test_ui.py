"""The Gradio app's handlers, called directly with real images, the real engine and the shipped models
(no server). The browser test (tests/test_browser.py) drives the same app through Chromium."""

from __future__ import annotations

import importlib.util
import shutil

import gradio as gr
import pytest
import tomllib
from PIL import Image

from app.conversation.i18n import phrase
from app.settings import PROJECT_ROOT
from app.web.handlers import (
    KEEP,
    MAX_SUGGESTIONS,
    TOP_ARTISTS,
    Painted,
    View,
    idle_check,
    send_image,
    send_text,
    start_view,
    view_of,
    without_paths,
)
from app.web.ui import CHAT_LIMIT, VISION_LIMIT, build_demo, outputs_of

FAILED_REPLY = phrase("failed")


@pytest.fixture
def upload(tmp_path, met_image_path) -> str:
    """Irises as Gradio hands it over: a copy in an upload folder."""
    path = tmp_path / "gradio-upload" / "irises.jpg"
    path.parent.mkdir()
    shutil.copy(met_image_path, path)
    return str(path)


@pytest.fixture
def irises_view(resources, upload) -> View:
    first = start_view()
    return send_image(resources, first.visit, first.history, upload)


def _assistant_text(view: View) -> str:
    last = view.history[-1]
    assert last["role"] == "assistant" and isinstance(last["content"], str)
    return last["content"]


def test_a_painting_fills_chat_prediction_card_and_gallery(irises_view, upload):
    history = irises_view.history
    assert history[-2] == {"role": "user", "content": {"path": upload, "alt_text": "Your photo of a painting"}}
    text = _assistant_text(irises_view)
    assert "Gogh" in text
    assert str(PROJECT_ROOT) not in text and "site-packages" not in text, "no server paths for visitors"
    top = irises_view.top_artists
    assert 1 <= len(top) <= TOP_ARTISTS and "Vincent van Gogh" in top
    assert all(0.0 <= p <= 1.0 for p in top.values())
    assert irises_view.movement.startswith("**Movement:**")
    assert "Vincent van Gogh" in irises_view.card and "1853" in irises_view.card
    assert irises_view.gallery, "similar paintings are shown"
    for image, caption in irises_view.gallery:
        assert isinstance(image, Image.Image) and max(image.size) <= 512
        assert caption and "/" not in caption.split(",")[0] and ".jpg" not in caption
    assert 0 < len(irises_view.suggestions) <= MAX_SUGGESTIONS
    assert irises_view.visit.turns == 1


def test_follow_up_question_uses_the_painting_in_focus_and_keeps_the_gallery(resources, irises_view):
    view = send_text(resources, irises_view.visit, irises_view.history, "When was he born?")
    assert "1853" in _assistant_text(view)
    assert view.history[-2] == {"role": "user", "content": "When was he born?"}
    assert view.gallery is KEEP and view.top_artists is KEEP
    assert view.visit.turns == 2


def test_every_suggested_button_gets_an_answer(resources, irises_view):
    for label in irises_view.suggestions:
        view = send_text(resources, irises_view.visit, irises_view.history, label)
        assert _assistant_text(view) and _assistant_text(view) != FAILED_REPLY, label


def test_why_shows_the_explanation_image(resources, irises_view):
    if resources.classifier is None:
        pytest.skip(f"no classifier to explain: {resources.problems.get('classifier')}")
    view = send_text(resources, irises_view.visit, irises_view.history, "Why?")
    assert _assistant_text(view) != FAILED_REPLY
    assert isinstance(view.overlay, Image.Image)
    assert outputs_of(view)[8]["visible"] is True


def test_a_style_prediction_fills_top3_movement_and_explanation():
    """The classifier's reply shape (app.conversation.engine.Reply), spread over the panels; works without trained
    heads."""
    from app.conversation.engine import Reply

    prediction = {"artist": None, "known": False, "confidence": 0.31,
                  "top": [{"artist": a, "probability": p} for a, p in
                          [("Claude Monet", 0.31), ("Alfred Sisley", 0.22), ("Camille Pissarro", 0.2),
                           ("Edgar Degas", 0.1)]],
                  "genres": [{"genre": "Impressionism", "probability": 0.83}, {"genre": "Realism", "probability": 0.1}]}
    reply = Reply("I don't know this painter.", data={"prediction": prediction}, overlay=Image.new("RGB", (64, 48)),
                  suggestions=["Show similar", "Why?"])
    view = view_of(start_view().visit, [], reply, new_image=True)
    assert view.top_artists == {"Claude Monet": 0.31, "Alfred Sisley": 0.22, "Camille Pissarro": 0.2}
    assert view.top_heading == "heading_unknown"
    assert view.movement == "**Movement:** Impressionism (83%) · Realism (10%)"
    assert view.overlay is reply.overlay and outputs_of(view)[8]["visible"] is True
    assert view.card == "" and view.gallery == [], "a new painting: no card or gallery of the one before"


def test_corrupt_upload_gets_a_friendly_reply_and_the_conversation_goes_on(resources, irises_view, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    view = send_image(resources, irises_view.visit, irises_view.history, str(broken))
    text = _assistant_text(view)
    assert "picture" in text.lower() or "image" in text.lower()
    assert str(tmp_path) not in text and "Traceback" not in text
    after = send_text(resources, view.visit, view.history, "Who painted this?")
    assert "Gogh" in _assistant_text(after), "the painting in focus survives a bad upload"


def test_a_failure_inside_the_assistant_shows_no_trace_to_the_visitor():
    first = start_view()
    view = send_text(None, first.visit, first.history, "Who painted this?")  # no resources at all
    assert _assistant_text(view) == FAILED_REPLY
    assert view.visit.session == first.visit.session


def test_empty_question_changes_nothing(resources):
    first = start_view()
    view = send_text(resources, first.visit, first.history, "   ")
    assert view.history is KEEP and view.visit is first.visit
    assert send_image(resources, first.visit, first.history, None).history is KEEP


def test_kiosk_resets_after_the_idle_time_only(irises_view):
    visit = irises_view.visit
    assert idle_check(visit, idle_seconds=180, now=visit.last_active + 60).history is KEEP
    reset = idle_check(visit, idle_seconds=180, now=visit.last_active + 181)
    assert reset.visit.turns == 0 and reset.clear_painting
    assert reset.gallery == [] and reset.top_artists is None and len(reset.history) == 1
    fresh = start_view().visit
    assert idle_check(fresh, idle_seconds=1, now=fresh.last_active + 1000).history is KEEP


def test_a_painting_the_record_names_but_the_style_does_not_is_headed_as_the_styles_view():
    """Irises, found in the collection, whose style the known head rejects: the panel must not say "not an
    artist I know" under the record's van Gogh, nor the chat "I don't recognise the painter"."""
    from app.conversation.engine import Reply
    from app.conversation.paintings import prediction_sentence

    prediction = {"artist": None, "known": False, "confidence": 0.99, "genres": [],
                  "top": [{"artist": "Vincent van Gogh", "probability": 0.99},
                          {"artist": "Pablo Picasso", "probability": 0.01}]}
    match = {"title": "Irises", "artist": "Vincent van Gogh", "score": 1.0}
    reply = Reply("...", data={"prediction": prediction, "match": match})
    view = view_of(start_view().visit, [], reply, new_image=True)
    assert view.top_heading == "heading_style_only" and "style alone" in phrase(view.top_heading).lower()
    assert prediction_sentence(prediction, matched=True).startswith("From its style alone I would not have named")
    assert "don't recognise" in prediction_sentence(prediction, matched=False)


def test_outputs_map_panels_to_gradio_values(irises_view):
    values = outputs_of(irises_view)
    assert values[0] is irises_view.visit and values[1]["value"] is irises_view.history
    assert values[2]["value"] == ""
    top = values[4]
    assert top["value"] == irises_view.top_artists and top["label"] == phrase(irises_view.top_heading)
    buttons = values[9:9 + MAX_SUGGESTIONS]
    shown = [b["value"] for b in buttons if b.get("visible")]
    assert shown == irises_view.suggestions
    kept = outputs_of(View(visit=irises_view.visit))
    assert all(v == gr.skip() for v in kept[1:]), "KEEP panels are left alone"


@pytest.mark.parametrize("kiosk", [False, True])
def test_build_demo_wires_every_event_to_all_panels(resources, kiosk):
    demo = build_demo(resources, kiosk=kiosk, idle_seconds=120)
    assert isinstance(demo, gr.Blocks)
    width = len(outputs_of(start_view()))
    events = list(demo.fns.values())
    typing = [event for event in events if event.targets[0][1] == "input" and len(event.outputs) == 1]
    assert len(typing) == kiosk, "in a kiosk, typing stamps the visit's last activity"
    assert events and all(len(event.outputs) == width for event in events if event not in typing)
    lanes = {event.targets[0][1]: (event.concurrency_id, event.concurrency_limit) for event in events}
    assert lanes["submit"] == ("chat", CHAT_LIMIT) and lanes["change"] == ("vision", VISION_LIMIT)
    assert ("tick" in lanes) == kiosk


def test_space_app_builds_the_demo_with_default_settings():
    spec = importlib.util.spec_from_file_location("space_app", PROJECT_ROOT / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # builds, does not launch (that is under __main__)
    assert isinstance(module.demo, gr.Blocks)


def test_space_requirements_match_the_package():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    lines = {line.strip() for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines()}
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["cpu"])
    assert wanted <= lines, f"missing from requirements.txt: {sorted(wanted - lines)}"


def test_kiosk_idle_time_from_the_environment_and_flag(monkeypatch):
    from app.cli import build_parser, settings_from

    monkeypatch.setenv("MUSEUM_KIOSK_IDLE_SECONDS", "45")
    assert settings_from(build_parser().parse_args(["serve", "--kiosk"])).kiosk_idle_seconds == 45
    assert settings_from(build_parser().parse_args(["serve", "--idle-seconds", "10"])).kiosk_idle_seconds == 10
    monkeypatch.setenv("MUSEUM_KIOSK_IDLE_SECONDS", "soon")
    with pytest.raises(ValueError, match="kiosk_idle_seconds"):
        settings_from(build_parser().parse_args(["serve"]))


def test_server_paths_never_reach_a_visitor_but_urls_do():
    text = "no index in /srv/museum/index/met-lite0: see https://www.metmuseum.org/art/collection/1 and/or 1/2"
    cleaned = without_paths(text)
    assert "/srv" not in cleaned and "https://www.metmuseum.org/art/collection/1" in cleaned
    assert "and/or 1/2" in cleaned


@pytest.mark.parametrize("content", [b"", b"just some text, renamed .png", "truncated", "tiny"])
def test_an_unusable_upload_is_answered_in_words_and_the_conversation_stays(resources, irises_view, tmp_path,
                                                                         met_image_path, content):
    """Zero-byte, text renamed .png, a truncated JPEG, a 1x1 image: a reason, no picture bubble, the
    upload box emptied, the painting in focus and its panels kept."""
    path = tmp_path / ("upload.jpg" if content != "tiny" else "tiny.png")
    if content == "truncated":
        path.write_bytes(met_image_path.read_bytes()[:3000])
    elif content == "tiny":
        Image.new("RGB", (1, 1), "brown").save(path)
    else:
        path.write_bytes(content)
    view = send_image(resources, irises_view.visit, irises_view.history, str(path))
    assert view.history[:len(irises_view.history)] == irises_view.history, "the conversation is kept"
    user, answer = view.history[-2:]
    assert user["role"] == "user" and isinstance(user["content"], str) and user["content"].strip()
    assert answer["content"].startswith("I couldn't use that picture") and str(tmp_path) not in answer["content"]
    if content == "tiny":
        assert "too small" in answer["content"]
    assert view.clear_painting and outputs_of(view)[3]["value"] is None
    assert view.top_artists is KEEP and view.card is KEEP and view.gallery is KEEP
    after = send_text(resources, view.visit, view.history, "Who painted this?")
    assert "Gogh" in _assistant_text(after)


def test_panels_follow_the_latest_reply(resources, irises_view):
    compare = send_text(resources, irises_view.visit, irises_view.history, "compare Monet and Manet")
    assert "Claude Monet" in compare.card and "Edouard Manet" in compare.card and "Gogh" not in compare.card
    banksy = send_text(resources, irises_view.visit, irises_view.history, "tell me about banksy")
    assert banksy.card == "" and banksy.gallery == [], "no van Gogh card under an unknown name"
    monet = send_text(resources, irises_view.visit, irises_view.history, "paintings by Monet")
    assert "no paintings by Claude Monet" in _assistant_text(monet) and monet.gallery == []
    born = send_text(resources, irises_view.visit, irises_view.history, "When was he born?")
    assert born.gallery is KEEP, "a question about the same painter keeps the painting's gallery"
    thanks = send_text(resources, born.visit, born.history, "thank you")
    assert thanks.card is KEEP and thanks.gallery is KEEP


@pytest.mark.parametrize("question, reason", [("What is the most expensive painting?", "prices"),
                                              ("who is the woman in the painting?", "who or what a painting shows")])
def test_off_topic_questions_are_declined_not_answered_differently(resources, irises_view, question, reason):
    view = send_text(resources, irises_view.visit, irises_view.history, question)
    text = _assistant_text(view)
    assert text.startswith("I can't answer that") and reason in text and "1853" not in text


def test_a_long_message_is_cut_and_the_visitor_told(resources, irises_view):
    view = send_text(resources, irises_view.visit, irises_view.history, "please " * 430 + "who painted this?")
    assert "I read only its first 500" in _assistant_text(view)


def test_typing_counts_as_activity_for_the_kiosk(irises_view):
    from app.web.handlers import typing

    visit = irises_view.visit
    later = typing(visit)
    assert later.last_active > visit.last_active and later.session is visit.session
    assert idle_check(later, idle_seconds=180, now=later.last_active + 179).history is KEEP


def test_a_french_visitor_gets_french_replies_and_labels(resources, upload):
    from app.web.handlers import choose_language

    first = start_view()
    french = choose_language(first.visit, first.history, "fr")
    assert french.history[0]["content"].startswith("Bonjour") and french.language == "fr"
    values = outputs_of(french)
    assert values[2]["label"] == "Votre question" and "Assistant du musée" in values[-3]
    assert values[3]["placeholder"].startswith("Déposez ici"), "the upload box speaks French, not Gradio's English"
    view = send_image(resources, french.visit, french.history, upload)
    view = send_text(resources, view.visit, view.history, "Quand est-il né ?")
    assert _assistant_text(view) == "Vincent van Gogh est né le 30 mars 1853 à Zundert, Netherlands."
    assert "Tableaux similaires" in view.suggestions and "Naissance" in view.card
    assert idle_check(view.visit, 1, now=view.visit.last_active + 5).language == "en", "the next visitor: English"


def test_a_painted_picture_joins_the_conversation_with_a_download(irises_view, resources):
    asked = send_text(resources, irises_view.visit, irises_view.history, "Paint it like…")
    assert "Claude Monet" in asked.suggestions and len(asked.suggestions) <= MAX_SUGGESTIONS
    painted = send_text(resources, asked.visit, asked.history, "Claude Monet")
    last = painted.history[-1]
    assert isinstance(last["content"], Painted) and max(last["content"].image.size) == 512
    assert "imitation" in painted.history[-2]["content"]
    assert painted.gallery is KEEP and painted.card is KEEP, "the painting in focus keeps its panels"
    assert last["content"].file_name == "painted-like-claude-monet.jpg"
    *_, image, download = outputs_of(painted)[1]["value"]
    assert isinstance(image["content"], gr.Image) and isinstance(download["content"], gr.File)
    assert image["content"].value["path"] == download["content"].value["path"]
    assert Image.open(download["content"].value["path"]).size == last["content"].image.size
