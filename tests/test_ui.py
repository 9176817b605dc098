"""The Gradio app's handlers, called directly with real images, the real engine and the shipped models
(no server). The browser test (tests/test_browser.py) drives the same app through Chromium."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import shutil

import gradio as gr
import pytest
import tomllib
from PIL import Image

from app.conversation.i18n import phrase
from app.conversation.turns import Reply, Subject
from app.settings import PROJECT_ROOT
from app.web.handlers import (
    KEEP,
    MAX_SUGGESTIONS,
    Painted,
    Presence,
    View,
    choose_language,
    idle_check,
    pick,
    send_image,
    send_text,
    start_view,
    view_of,
    without_paths,
)
from app.web.ui import CHAT_LIMIT, VISION_LIMIT, build_demo, outputs_of

FAILED_REPLY = phrase("failed")
# How the chat writes a probability (classifier.explain.text.percent): every panel writes it the same way.
PERCENT = re.compile(r"(?:[<>]|\b)\d+%")


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
    # The record names Irises; its style alone would not have named the painter: no percentage says otherwise.
    assert irises_view.recognition.startswith("### Found in the collection")
    assert "*Irises* — Vincent van Gogh" in irises_view.recognition and "%" not in irises_view.recognition
    style_alone = next(part for part in text.split("\n\n") if "would not have named" in part)
    assert not re.search(r"(Gogh|Picasso|Matisse) \(", style_alone), style_alone
    assert irises_view.visit.subject == Subject("painting", ("Vincent van Gogh",), "matched", "Irises")
    assert irises_view.movement.startswith("**Movement:**")
    assert "Vincent van Gogh" in irises_view.card and "1853" in irises_view.card
    assert irises_view.gallery, "similar paintings are shown"
    for image, caption in irises_view.gallery:
        assert isinstance(image, Image.Image) and max(image.size) <= 512
        assert caption and "/" not in caption.split(",")[0] and ".jpg" not in caption
        assert " — " in caption and "similarity" not in caption, "title, painter, date; the one number is why?'s"
    assert 0 < len(irises_view.suggestions) <= MAX_SUGGESTIONS
    assert irises_view.visit.turns == 1


def test_follow_up_question_uses_the_painting_in_focus_and_keeps_the_gallery(resources, irises_view):
    view = send_text(resources, irises_view.visit, irises_view.history, "When was he born?")
    assert "1853" in _assistant_text(view)
    assert view.history[-2] == {"role": "user", "content": "When was he born?"}
    assert view.gallery is KEEP and view.recognition == irises_view.recognition, "still the painting's painter"
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


def test_an_unknown_painter_is_headlined_by_nobody_and_numbers_are_written_as_the_chat_writes_them():
    """The classifier's reply shape for a painter it does not know (a Munch it never learnt), spread over the panels:
    the closest painters are listed, none is the headline, and a follow-up does not turn them into "most likely"."""
    prediction = {"artist": None, "known": False, "confidence": 0.31,
                  "top": [{"artist": a, "probability": p} for a, p in
                          [("Henri Matisse", 0.31), ("Alfred Sisley", 0.22), ("Camille Pissarro", 0.004),
                           ("Edgar Degas", 0.1)]],
                  "genres": [{"genre": "Impressionism", "probability": 0.83}, {"genre": "Realism", "probability": 0.1}]}
    reply = Reply("I don't recognise the painter.", data={"intent": "identify", "prediction": prediction},
                  overlay=Image.new("RGB", (64, 48)),
                  suggestions=["Show similar", "Why?"], subject=Subject("painting", certainty="unknown"))
    view = view_of(start_view().visit, [], reply)
    heading, _, rows = view.recognition.partition("\n\n")
    assert heading == f"### {phrase('heading_unknown')}" and "Matisse" not in heading
    assert rows.splitlines() == ["1. Henri Matisse — 31%", "2. Alfred Sisley — 22%", "3. Camille Pissarro — <1%"]
    assert view.movement == "**Movement:** Impressionism (83%) · Realism (10%)"
    assert view.overlay is reply.overlay and outputs_of(view)[8]["visible"] is True
    assert view.card == "" and view.gallery == [], "a new painting: no card or gallery of the one before"
    born = view_of(view.visit, [], Reply("I don't know who painted this one.",
                                         subject=Subject("painting", certainty="unknown")))
    assert born.recognition == view.recognition and born.card == "", "the follow-up says no more than before"


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
    assert reset.gallery == [] and reset.recognition == "" and reset.card == "" and len(reset.history) == 1
    fresh = start_view().visit
    assert idle_check(fresh, idle_seconds=1, now=fresh.last_active + 1000).history is KEEP


def test_a_painting_the_record_names_but_the_style_does_not_shows_no_percentages_beside_the_record():
    """Irises, found in the collection, whose style the known head rejects: neither the chat nor the panel puts
    "I would not have named the painter" beside ">99%" (the softmax's top among the painters it knows)."""
    from app.conversation.paintings import prediction_sentence

    prediction = {"artist": None, "known": False, "confidence": 0.99, "genres": [],
                  "top": [{"artist": "Vincent van Gogh", "probability": 0.995},
                          {"artist": "Pablo Picasso", "probability": 0.005}]}
    match = {"title": "Irises", "artist": "Vincent van Gogh", "score": 1.0}
    subject = Subject("painting", ("Vincent van Gogh",), "matched", "Irises")
    view = view_of(start_view().visit, [], Reply("...", data={"prediction": prediction, "match": match},
                                                 subject=subject))
    assert view.recognition == "### Found in the collection\n\n*Irises* — Vincent van Gogh"
    matched = prediction_sentence(prediction, matched=True)
    assert matched.startswith("From its style alone I would not have named") and "%" not in matched
    assert "don't recognise" in prediction_sentence(prediction, matched=False)
    assert "Vincent van Gogh (>99%)" in prediction_sentence(prediction, matched=False)


def test_outputs_map_panels_to_gradio_values(irises_view):
    values = outputs_of(irises_view)
    assert values[0] is irises_view.visit and values[1]["value"] is irises_view.history
    assert values[2]["value"] == ""
    assert values[4] == irises_view.recognition
    buttons = values[9:9 + MAX_SUGGESTIONS]
    shown = [b["value"] for b in buttons if b.get("visible")]
    assert shown == irises_view.suggestions
    kept = outputs_of(View(visit=irises_view.visit))
    assert all(v == gr.skip() for v in kept[1:]), "KEEP panels are left alone"
    thanks = outputs_of(View(visit=irises_view.visit, history=[]))
    assert thanks[7] == gr.update(label="Similar paintings"), "a kept gallery is still relabelled"


@pytest.mark.parametrize("kiosk", [False, True])
def test_build_demo_wires_every_event_to_all_panels(resources, kiosk):
    demo = build_demo(resources, kiosk=kiosk, idle_seconds=120)
    assert isinstance(demo, gr.Blocks)
    width = len(outputs_of(start_view()))
    events = list(demo.fns.values())
    stamps = [event for event in events if not event.outputs]
    assert {event.targets[0][1] for event in stamps} == ({"input", "click"} if kiosk else set()), \
        "in a kiosk, typing and any touch (the page script's #activity button) stamp the session's presence"
    assert events and all(len(event.outputs) == width for event in events if event not in stamps)
    assert "select" in {event.targets[0][1] for event in events}, "a tapped gallery painting can be asked about"
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
    assert view.recognition is KEEP and view.card is KEEP and view.gallery is KEEP
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


def test_typing_and_touching_count_as_activity_for_the_kiosk(irises_view):
    visit, presence = irises_view.visit, Presence(most=2)
    presence.stamp("reader", now=visit.last_active + 150)  # a tap on the biography, 150 s after the last turn
    seen = presence.last_seen("reader")
    assert idle_check(visit, idle_seconds=180, now=visit.last_active + 300, seen=seen).history is KEEP
    assert idle_check(visit, idle_seconds=180, now=visit.last_active + 331, seen=seen).visit.turns == 0
    assert presence.last_seen("somebody else") == float("-inf") and presence.last_seen(None) == float("-inf")
    presence.stamp("second")
    presence.stamp("third")
    assert presence.last_seen("reader") == float("-inf"), "the oldest session is forgotten past `most`"


def test_a_french_visitor_gets_french_replies_and_labels(resources, upload):
    first = start_view()
    french = choose_language(resources, first.visit, first.history, "fr")
    assert french.history[0]["content"].startswith("Bonjour") and french.language == "fr"
    values = outputs_of(french)
    assert values[2]["label"] == "Votre question" and "Assistant du musée" in values[-3]
    assert values[3]["placeholder"].startswith("Déposez ici"), "the upload box speaks French, not Gradio's English"
    view = send_image(resources, french.visit, french.history, upload)
    view = send_text(resources, view.visit, view.history, "Quand est-il né ?")
    assert _assistant_text(view) == "Vincent van Gogh est né le 30 mars 1853 à Zundert, Pays-Bas."
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


def test_every_panel_follows_the_latest_reply(resources, irises_view):
    """Kahlo, then Monet and Manet, then an unknown name: the movement panel follows each reply, never the last
    painter's; "Monet?" shows Monet, and "why?" afterwards is about the painting in focus, and so are the panels."""
    kahlo = send_text(resources, irises_view.visit, irises_view.history, "tell me about Frida Kahlo")
    assert "Frida Kahlo" in kahlo.card and "Surrealism" in kahlo.movement and kahlo.recognition == ""
    pair = send_text(resources, kahlo.visit, kahlo.history, "compare Monet and Manet")
    assert "Surrealism" not in pair.movement and "Claude Monet:" in pair.movement and "Edouard Manet:" in pair.movement
    banksy = send_text(resources, pair.visit, pair.history, "tell me about Banksy")
    assert banksy.movement == "" and banksy.card == "" and banksy.recognition == ""
    monet = send_text(resources, banksy.visit, banksy.history, "Monet?")
    assert "### Claude Monet" in monet.card
    why = send_text(resources, monet.visit, monet.history, "Why?")
    assert "Irises" in _assistant_text(why)
    assert "### Vincent van Gogh" in why.card and "Claude Monet" not in why.card
    assert why.recognition == irises_view.recognition and why.visit.subject.kind == "painting"
    born = send_text(resources, why.visit, why.history, "When was the painter born?")
    assert "Vincent van Gogh was born" in _assistant_text(born), "the painter of the painting the reply was about"


def _hedged(view: View) -> View:
    """The Irises session as a painting the collection does not hold and whose style only suggests a painter (37%):
    the engine's state after a print it cannot name (e.g. a Hokusai read as "perhaps Magritte")."""
    session = view.visit.session
    guess = {**session.prediction, "known": True, "artist": "Rene Magritte", "confidence": 0.37,
             "top": [{"artist": "Rene Magritte", "probability": 0.37}, {"artist": "Paul Klee", "probability": 0.2}]}
    session = dataclasses.replace(session, match=None, other_matches=(), focus_artist=None, image_artist=None,
                                  hedged_artist="Rene Magritte", prediction=guess)
    return dataclasses.replace(view, visit=dataclasses.replace(view.visit, session=session))


def test_a_hedged_guess_stays_hedged_in_every_follow_up_and_panel(resources, irises_view):
    view = _hedged(irises_view)
    for question in ("Who painted this?", "When was he born?", "Who is this artist?", "Tell me about the artist",
                     "Famous works?", "When was he born?"):
        view = send_text(resources, view.visit, view.history, question)
        text = _assistant_text(view)
        assert "not sure" in text or text.startswith("If it is Rene Magritte"), (question, text)
        assert view.card == "", f"no Magritte card under a guess ({question})"
        assert view.recognition.startswith(f"### {phrase('heading_guess')}"), view.recognition
        assert "1. Rene Magritte — 37%" in view.recognition
        assert view.visit.subject == Subject("painting", ("Rene Magritte",), "hedged")


def test_switching_the_language_redraws_every_panel_and_follow_ups_keep_it(resources, upload):
    german = choose_language(resources, start_view().visit, [], "de")
    german = send_image(resources, german.visit, german.history, upload)
    assert "Geboren" in german.card and "Postimpressionismus" in german.movement
    french = choose_language(resources, german.visit, german.history, "fr")
    assert french.history == german.history, "the conversation stays"
    assert "Naissance" in french.card and "Geboren" not in french.card and "Pays-Bas" in french.card
    assert "Postimpressionnisme" in french.movement and french.recognition.startswith("### Trouvé dans la collection")
    assert french.suggestions == ["Qui est l'artiste ?", "Tableaux similaires", "Pourquoi ?", "Peins-la comme…"]
    values = outputs_of(french)
    assert values[7]["label"] == "Tableaux semblables" and values[8]["label"] == phrase("why_label", "fr")
    tapped = send_text(resources, french.visit, french.history, french.suggestions[0])
    assert tapped.language == "fr" and "Naissance" in tapped.card, "a tapped follow-up keeps the page's language"
    thanks = send_text(resources, tapped.visit, tapped.history, "thanks")
    assert thanks.language == "en" and _assistant_text(thanks).startswith("You're welcome")
    assert "Born" in thanks.card and "Naissance" not in thanks.card, "an English question: the whole page in English"
    assert "Famous works?" in thanks.suggestions or "Show similar" in thanks.suggestions


def test_an_italian_conversation_has_an_italian_card_and_gallery_label(resources, upload):
    first = start_view()
    view = send_image(resources, first.visit, first.history, upload)
    view = send_text(resources, view.visit, view.history, "Quando è nato il pittore?")
    assert view.language == "it" and "Nascita" in view.card and "Paesi Bassi" in view.card
    values = outputs_of(view)
    assert values[7]["label"] == "Dipinti simili" and values[3]["label"] == phrase("painting_label", "it")


def test_a_tapped_gallery_painting_becomes_the_subject(resources, irises_view):
    picked = pick(irises_view.visit, 1)
    assert picked.suggestions[0] == "Tell me about this one" and picked.history is KEEP
    title = irises_view.gallery[1][1].split(" — ")[0]
    about = send_text(resources, picked.visit, irises_view.history, "Tell me about this one")
    assert about.history[-2]["content"].startswith("Tell me about this one: " + title)
    assert title in _assistant_text(about) and about.visit.subject.title == title
    assert f"*{title}*" in about.recognition
    assert pick(irises_view.visit, 99).visit is irises_view.visit, "a stale index changes nothing"


def test_the_web_page_never_asks_for_a_script_path(resources):
    first = start_view()
    view = send_text(resources, first.visit, first.history, "Why?")
    assert "@path" not in _assistant_text(view) and "script" not in _assistant_text(view)


def test_a_message_refused_as_too_long_is_a_bubble_of_its_own(irises_view):
    from app.web.guard import refusal, too_long

    text = "a" * 3000
    view = refusal(irises_view.visit, irises_view.history, too_long(text), asked=text)
    asked, answer = view.history[-2:]
    assert asked == {"role": "user", "content": "a" * 600 + "…"} and answer["content"].startswith("That message")


def test_in_more_detail_says_only_what_the_regions_add(resources, irises_view):
    why = send_text(resources, irises_view.visit, irises_view.history, "Why?")
    detail = send_text(resources, why.visit, why.history, "Show me in more detail")
    text = _assistant_text(detail)
    assert text.startswith("In more detail, for ") and "green regions" in text
    assert _assistant_text(why) not in text and "points of it line up" not in text and "similarity" not in text


def test_a_phone_photo_upload_is_decoded_reduced_and_answered_as_a_photo(resources, tmp_path, met_image_path):
    from classifier.scenes import mild_scene, phone_jpeg
    from data.images import load_image

    path = tmp_path / "gradio-upload" / "PXL_20261208.jpg"
    path.parent.mkdir()
    photo = mild_scene(load_image(met_image_path), 7, side=4032).photo
    path.write_bytes(phone_jpeg(photo, orientation=6, quality=90))
    first = start_view()
    view = send_image(resources, first.visit, first.history, str(path))
    assert view.visit.recognition["match"]["title"] == "Irises"
    assert view.visit.recognition["prediction"]["photographed"]  # the camera in its EXIF reached the classifier
    assert "Irises" in _assistant_text(view) and str(tmp_path) not in _assistant_text(view)
