"""The Gradio app: chat with a painting, side panels for the prediction, the artist and similar works.

`build_demo(resources, kiosk)` lays the page out and wires events to the plain handlers in
app/web/handlers.py; `launch(demo, ...)` starts it with the theme and CSS (Gradio 6 takes those in
launch(), not in Blocks()). Used by `museum serve` and by the Hugging Face Space's app.py.
"""

from __future__ import annotations

import os
from pathlib import Path

# Before Gradio is imported: it reads this once. A museum's network must see no call leave the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402  (after the environment above)
import matplotlib  # noqa: E402
from gradio.processing_utils import save_pil_to_cache  # noqa: E402
from gradio.utils import get_upload_folder  # noqa: E402

from app.conversation.i18n import DEFAULT_LANGUAGE, LANGUAGES, phrase  # noqa: E402
from app.serving.heap import bound_heap  # noqa: E402
from app.web.guard import BUSY_PAINTING, BUSY_QUESTION, OneAtATime, refusal, too_long  # noqa: E402
from app.web.handlers import (  # noqa: E402
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
)

DEFAULT_IDLE_SECONDS = 180
IDLE_CHECK_EVERY = 15  # seconds between kiosk idle checks (at most): a reset comes at most this late
MAX_UPLOAD = "20mb"  # a phone photo fits; anything larger is refused by the server before decoding
MAX_TYPED = 10_000  # the browser stops here; the engine reads less still and tells the visitor it cut

# Concurrency, on a 2-core CPU machine shared by several visitors:
# - "vision" lane (new painting: find the painting, one backbone forward, nearest neighbours, thumbnails):
#   many at once, because their forwards meet in app/serving/vision.py's micro-batcher and run as ONE batched
#   forward (far cheaper per painting than one forward each); the rest of the turn is light.
# - "chat" lane (typed questions and follow-up buttons): text turns need a few ms of CPU, "Why?" explanations
#   a forward and a backward. Eight at a time, so quick answers never queue behind explanations: the
#   explanations themselves wait for `Resources.explain_slots` (MUSEUM_EXPLAIN_SLOTS, one) inside the turn.
#   A queue of uploads never delays anyone's text answer.
# - the kiosk idle timer runs outside the queue: it only compares two times.
# Resources are built once per process and shared by all lanes; each browser session has its own
# gr.State, so conversations never mix.
VISION_LANE, CHAT_LANE = "vision", "chat"
VISION_LIMIT, CHAT_LIMIT = 32, 8
# Gradio runs handlers in a pool of this many threads: both lanes full, and room for the kiosk's timers.
MAX_THREADS = VISION_LIMIT + CHAT_LIMIT + 8
QUEUE_SIZE = 256  # events waiting at most (a bound on memory whatever a script sends); more are refused
# Sessions whose state the server keeps (Gradio's default is 10,000): each holds at most two pictures of 1024 px
# (app/conversation/paintings.py KEPT_SIDE, 3 MB each) and its conversation, so this bounds what visitors can make
# the server hold. Far more than a 2-core machine serves at once; the least recently used session is dropped first.
MAX_SESSIONS = 64

# System fonts: the default theme fonts come from Google Fonts, which an offline kiosk cannot reach.
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"]
# Contrast (WCAG 2.1 AA, 4.5:1 for text; axe-core checks it in tests/test_browser.py): Soft's amber 500 text and
# buttons reach only 1.9-2.1:1 and its grey hints 2.4:1, so labels, upload text and buttons take darker shades
# (amber 800 on amber 100: 6.4:1; white on amber 700: 5.0:1; stone 600 hints: 7.3:1).
THEME = gr.themes.Soft(primary_hue="amber", neutral_hue="stone", font=SYSTEM_FONTS,
                       font_mono=["ui-monospace", "monospace"]).set(
    block_label_text_color="*primary_800", block_title_text_color="*primary_800",
    block_label_background_fill_dark="*primary_800",
    button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_800",
    button_primary_background_fill_dark="*primary_700", button_primary_background_fill_hover_dark="*primary_800",
    checkbox_label_background_fill_selected="*primary_700", checkbox_label_background_fill_selected_dark="*primary_700",
    body_text_color_subdued="*neutral_600", input_placeholder_color="*neutral_500",
    # the question box's edge: a 1 px stone 500 line (4.8:1; WCAG 1.4.11 asks 3:1) where Soft draws none
    input_border_width="1px", input_border_color="*neutral_500",
)
# Gradio's screen-reader status line says "common.complete" after each answer: its English table lacks that
# word. Our own word, in each of the visitor's languages (Gradio picks by the browser's language).
GRADIO_WORDS = gr.I18n(**{code: {"common.complete": phrase("status_done", code)} for code in LANGUAGES})
CSS = """
#painting, #explanation {min-height: 220px}
.suggestion button, button.suggestion {white-space: normal}
/* the comparison table: words wrap between words, never inside one ("Bor n in") */
#chat table td, #chat table th {word-break: normal !important; overflow-wrap: normal !important;
  hyphens: none; white-space: normal; min-width: 6em}
#chat table {display: block; overflow-x: auto}
/* the progress text sits at the foot of the conversation on its own background, not over the messages */
.wrap.default.translucent, .wrap.default.full {justify-content: flex-end !important}
.wrap.default .progress-level, .wrap.default .progress-text {background: var(--background-fill-primary);
  padding: 4px 10px; border-radius: 6px}
/* Gradio fades the status ("processing | 0.1s") in and out over 0.1 s: half-way it is 3.1:1, under WCAG's 4.5:1
   for text (axe caught it mid-fade on a slow machine); shown or hidden at once, it is 4.5:1 or more, or nothing */
.wrap.default {transition: none !important}
/* no "Share" on pictures: it only works on Hugging Face Spaces, and a kiosk must not offer it */
button[aria-label="Share"], button[title="Share"] {display: none !important}
*:focus-visible {outline: 3px solid #b45309 !important; outline-offset: 2px}
/* the upload area's own focus: its whole drop zone is ringed, not a 3 px line of its hidden input */
#painting:focus-within {outline: 3px solid #b45309; outline-offset: 2px; border-radius: 8px}
/* the upload / camera switches under the painting: stone 600 and amber 700 (7.6:1, 5.0:1 on white) instead of
   Gradio's stone 400 and amber 500 (2.5:1, 2.1:1), below the 3:1 WCAG 1.4.11 asks of controls */
.source-selection .icon {color: var(--neutral-600) !important}
.source-selection .icon.selected, .source-selection .icon:hover {color: var(--primary-700) !important}
/* similar paintings: the whole caption (title, painter, date) on up to three lines, not cut to a few letters */
#gallery .caption-label, #gallery figcaption {white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; max-width: 100% !important; line-height: 1.25; position: static !important}
#gallery .thumbnail-item {height: auto !important; flex-direction: column}
#gallery caption.caption {white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  display: block; max-width: 100% !important; padding: 4px 8px; text-align: center}
#activity {display: none !important}
/* a phone, or a page at 200% zoom: one column, the painting first, the conversation right under it, then the
   panels about it (the two columns' contents become one list) */
@media (max-width: 760px) {
  #main-row {flex-direction: column !important}
  #painting-column, #chat-column {display: contents !important}
  #painting {order: 1} #chat {order: 2} #suggestions {order: 3} #ask-row {order: 4}
  #top-artists {order: 5} #movement {order: 6} #explanation {order: 7} #artist-card {order: 8} #gallery {order: 9}
}
"""
# A kiosk is read standing, an arm's length away, and used with a finger: body text 22 px, the conversation and
# the card 24 px, headings larger, every button and language option at least 64 px high (WCAG 2.5.5 asks 44).
KIOSK_CSS = CSS + """
footer {display: none !important}
.gradio-container {max-width: 100% !important; padding: 12px 20px !important; font-size: 22px}
.gradio-container button {min-height: 64px; min-width: 64px; font-size: 22px !important}
#chat .message, #chat .message p, #chat .message li, #chat .prose {font-size: 24px !important; line-height: 1.45}
#question textarea {font-size: 24px !important; min-height: 64px}
#artist-card, #artist-card p, #movement, #movement p, #top-artists, #top-artists p, #top-artists li
  {font-size: 24px !important; line-height: 1.45}
#artist-card h3, #top-artists h3 {font-size: 30px !important}
#language label {min-height: 64px; font-size: 22px !important; padding: 0 20px !important; align-items: center}
#gallery .caption-label, #gallery figcaption {font-size: 20px !important}
/* the 64 px bin button gets a row of its own above the messages, instead of floating over the last one */
#chat .icon-button-wrapper.top-panel {position: static !important; justify-content: flex-end; margin: 0 0 4px auto}
/* portrait screens (1080 x 1920): one column filling the height, the painting first, the conversation under it */
@media (orientation: portrait) {
  #main-row {flex-direction: column !important}
  #painting-column, #chat-column {display: contents !important}
  #painting {order: 1} #chat {order: 2} #suggestions {order: 3} #ask-row {order: 4}
  #top-artists {order: 5} #movement {order: 6} #explanation {order: 7} #artist-card {order: 8} #gallery {order: 9}
  #chat {height: 44vh !important}
}
"""


def build_demo(resources, kiosk: bool = False, idle_seconds: float = DEFAULT_IDLE_SECONDS) -> gr.Blocks:
    """The page, for Resources already built (and ideally warmed) once for the whole process."""
    first = start_view()
    say = lambda key: phrase(key, DEFAULT_LANGUAGE)
    with gr.Blocks(title=say("title"), fill_width=kiosk, analytics_enabled=False,
                   delete_cache=(3600, 3 * 3600)) as demo:  # a kiosk runs for weeks: drop old uploads
        visit = gr.State(first.visit)
        with gr.Row(equal_height=True):
            heading = gr.Markdown(heading_markdown(DEFAULT_LANGUAGE), elem_id="heading")
            # The kiosk's language switch (a desktop visitor is detected from the questions alone).
            language = gr.Radio(list((name, code) for code, name in LANGUAGES.items()), value=DEFAULT_LANGUAGE,
                                label=say("language_label"), elem_id="language", visible=kiosk)
        # Painting and panels first, the conversation beside them: showing a painting is the first thing in view
        # on a desktop; on a phone or a portrait kiosk the CSS puts the conversation right under the painting.
        with gr.Row(equal_height=False, elem_id="main-row"):
            with gr.Column(scale=2, elem_id="painting-column"):
                # image_mode=None: Gradio passes the upload's path on without decoding it (no RGB copy of a
                # decompression bomb); data/images.py checks the pixel count before it decodes.
                # placeholder: Gradio's own "Drop Image Here - or - Click to Upload" follows the browser's
                # language, not the visitor's; our words follow the visitor's (outputs_of relabels it).
                painting = gr.Image(sources=["upload", "webcam"], type="filepath", label=say("painting_label"),
                                    placeholder=say("upload_hint"), elem_id="painting", height=300, buttons=[],
                                    image_mode=None)
                recognition = gr.Markdown(elem_id="top-artists")
                movement = gr.Markdown(elem_id="movement")
                explanation = gr.Image(label=say("why_label"), visible=False, interactive=False,
                                       elem_id="explanation", buttons=[], format="jpeg")
                card = gr.Markdown(elem_id="artist-card", label=say("artist_label"))
                # JPEG thumbnails: 0.5 ms to encode against 15 ms for Gradio's default WebP (six per reply).
                gallery = gr.Gallery(label=say("similar_label"), columns=3, height="auto", elem_id="gallery",
                                     allow_preview=True, buttons=[], interactive=False, format="jpeg")
            with gr.Column(scale=3, elem_id="chat-column"):
                chat = gr.Chatbot(value=first.history, elem_id="chat", label=say("conversation"),
                                  height=520 if kiosk else 460, buttons=[], feedback_options=None,
                                  allow_file_downloads=False)
                with gr.Row(elem_id="suggestions"):
                    labels = list(first.suggestions) + [""] * MAX_SUGGESTIONS
                    suggestions = [gr.Button(label, visible=bool(label), size="lg", elem_classes=["suggestion"])
                                   for label in labels[:MAX_SUGGESTIONS]]
                with gr.Row(equal_height=True, elem_id="ask-row"):
                    # A visible label: screen readers announce "Your question", not "Textbox". No autofocus: the
                    # page would open scrolled down to the box (at 200% zoom, on a phone), past the painting.
                    question = gr.Textbox(placeholder=say("placeholder"), label=say("question_label"),
                                          scale=4, max_length=MAX_TYPED, elem_id="question")
                    ask = gr.Button(say("ask"), variant="primary", scale=1, elem_id="ask")
        # Pressed by the kiosk's page script (KIOSK_SCRIPT) when the visitor touches, scrolls or taps: being there.
        activity = gr.Button("activity", elem_id="activity", visible=kiosk, elem_classes=["activity"])

        outputs = [visit, chat, question, painting, recognition, movement, card, gallery, explanation,
                   *suggestions, heading, language, ask]

        # One painting and one question at a time per session (app/web/guard.py): a script sending uploads in a
        # loop gets instant "one at a time" replies instead of other visitors' turns.
        painting_turns, question_turns = OneAtATime(), OneAtATime()

        def on_text(state, history, text, request: gr.Request, progress=gr.Progress()):
            refused = too_long(text)
            with question_turns.turn(request.session_hash) as free:
                if refused or not free:
                    return outputs_of(refusal(state, history, refused or BUSY_QUESTION, asked=text))
                progress(None, desc=phrase("thinking", state.language))
                # A detailed (LIME) explanation takes seconds: its steps show as a progress bar.
                return outputs_of(send_text(resources, state, history, text,
                                            lambda fraction, desc: progress(fraction, desc=desc)))

        def on_image(state, history, upload, request: gr.Request, progress=gr.Progress()):
            # Wired with preprocess=False: Gradio's own image decoding opens the file with PIL and, for an
            # empty or non-image file, raises before any handler runs (the page then shows an error badge
            # instead of the conversation). The upload arrives as Gradio's file data (already checked to be
            # in its upload folder); send_image decodes it with data/images.py and answers in words.
            history = chat.preprocess(chat.data_model.model_validate(history)) if history else []
            with painting_turns.turn(request.session_hash) as free:
                if not free:
                    return outputs_of(refusal(state, history, BUSY_PAINTING))
                progress(None, desc=phrase("looking", state.language))
                return outputs_of(send_image(resources, state, history, (upload or {}).get("path")))

        # The progress message shows over the conversation only, not over every panel.
        shown = dict(outputs=outputs, show_progress="full", show_progress_on=[chat])
        chat_lane = dict(**shown, concurrency_id=CHAT_LANE, concurrency_limit=CHAT_LIMIT)
        question.submit(on_text, [visit, chat, question], **chat_lane)
        ask.click(on_text, [visit, chat, question], **chat_lane)
        for button in suggestions:
            button.click(on_text, [visit, chat, button], **chat_lane)
        # change, not upload: a webcam snapshot is a change too; a cleared picture (None) is ignored.
        painting.change(on_image, [visit, chat, painting], **shown, concurrency_id=VISION_LANE,
                        concurrency_limit=VISION_LIMIT, preprocess=False)
        # A tapped painting of the gallery can be asked about ("Tell me about this one").
        def on_pick(state, selected: gr.SelectData):
            return outputs_of(pick(state, selected.index))

        gallery.select(on_pick, [visit], outputs, queue=False, show_progress="hidden")
        # The chat's bin icon starts a new conversation, not just an empty-looking one.
        # In the visitor's language: the bin is pressed by the visitor still at the screen (an idle reset is not).
        chat.clear(lambda state: outputs_of(start_view(state.language)), [visit], outputs, queue=False,
                   show_progress="hidden")
        if kiosk:
            timer = gr.Timer(min(IDLE_CHECK_EVERY, idle_seconds / 4))
            presence = Presence()

            def on_tick(state, request: gr.Request):
                return outputs_of(idle_check(state, idle_seconds, seen=presence.last_seen(request.session_hash)))

            def on_activity(request: gr.Request):
                presence.stamp(request.session_hash)

            timer.tick(on_tick, [visit], outputs,
                       queue=False, show_progress="hidden")
            # Typing, touching, scrolling are being there: a slow typist or a visitor reading the biography is not
            # reset (each only stamps a time).
            for signal in (question.input, activity.click):  # no outputs: the visit's state is never written back
                signal(on_activity, None, None, queue=False, show_progress="hidden", trigger_mode="always_last")
            language.input(lambda state, history, code: outputs_of(choose_language(resources, state, history, code)),
                           [visit, chat, language], outputs, queue=False, show_progress="hidden")
    demo.queue(default_concurrency_limit=CHAT_LIMIT, max_size=QUEUE_SIZE)
    return demo


# Pictures Gradio shows without alt text (the visitor's photo in the conversation, the upload box, the
# explanation) get the label of their panel as alt text, so a screen reader names them.
ALT_TEXT_SCRIPT = """<script>
(() => {
  const named = (img, id) => {
    const label = document.querySelector(`#${id} [data-testid="block-label"]`);
    img.alt = label ? label.innerText.trim() : img.alt;
  };
  const fill = () => {
    document.querySelectorAll("#chat img:not([alt]), #chat img[alt='']").forEach(img => named(img, "painting"));
    document.querySelectorAll("#painting img:not([alt]), #painting img[alt='']").forEach(img => named(img, "painting"));
    document.querySelectorAll("#explanation img:not([alt]), #explanation img[alt='']")
      .forEach(img => named(img, "explanation"));
  };
  new MutationObserver(fill).observe(document.documentElement, {subtree: true, childList: true, attributes: true,
                                                                 attributeFilter: ["src"]});
})();
</script>"""


# The kiosk counts any touch, tap, scroll or key as the visitor being there (reading the biography, looking at the
# enlarged painting): it presses the hidden #activity button, at most every ACTIVITY_EVERY_MS, so the idle reset
# only comes after `idle_seconds` with nobody at the screen.
ACTIVITY_EVERY_MS = 5000
KIOSK_SCRIPT = """<script>
(() => {
  let stamped = 0;
  const stamp = () => {
    const now = Date.now();
    const button = document.querySelector("#activity");
    if (!button || now - stamped < %d) return;
    stamped = now;
    button.click();
  };
  for (const kind of ["pointerdown", "touchstart", "wheel", "scroll", "keydown"]) {
    document.addEventListener(kind, stamp, {capture: true, passive: true});
  }
})();
</script>""" % ACTIVITY_EVERY_MS


def heading_markdown(language: str) -> str:
    return f"## {phrase('title', language)}\n{phrase('subtitle', language)}"


def outputs_of(view: View) -> tuple:
    """A View as values for the `outputs` list of build_demo (gr.skip() for KEEP). On every turn and language
    switch every label follows the page's language, panels left as they are included."""
    def value(item):
        return gr.skip() if item is KEEP else item

    say = lambda key: phrase(key, view.language)
    relabel = view.history is not KEEP  # a turn was answered, the page reset or its language switched

    def labelled(item, key: str, **shown):
        if item is KEEP:
            return gr.update(label=say(key)) if relabel else gr.skip()
        return gr.update(value=item, label=say(key), **shown)

    if view.suggestions is KEEP:
        buttons = [gr.skip()] * MAX_SUGGESTIONS
    else:
        labels = list(view.suggestions)[:MAX_SUGGESTIONS]
        buttons = [gr.update(value=label, visible=True) for label in labels]
        buttons += [gr.update(visible=False)] * (MAX_SUGGESTIONS - len(labels))
    chat = gr.update(value=shown_history(view.history), label=say("conversation")) if relabel else gr.skip()
    question = (gr.update(value="", label=say("question_label"), placeholder=say("placeholder")) if relabel
                else gr.skip())
    painting_labels = dict(label=say("painting_label"), placeholder=say("upload_hint"))
    painting = (gr.update(value=None, **painting_labels) if view.clear_painting
                else gr.update(**painting_labels) if relabel else gr.skip())
    overlay = labelled(view.overlay, "why_label", visible=view.overlay is not None and view.overlay is not KEEP)
    return (view.visit, chat, question, painting, value(view.recognition), value(view.movement), value(view.card),
            labelled(view.gallery, "similar_label"), overlay,
            *buttons, heading_markdown(view.language) if relabel else gr.skip(),
            gr.update(value=view.language, label=say("language_label")) if relabel else gr.skip(),
            gr.update(value=say("ask")) if relabel else gr.skip())


def shown_history(history: list) -> list:
    """The conversation as the Chatbot shows it: a painted picture becomes the image and, under it, the JPEG as a
    file to download (the Chatbot draws an image message with a fullscreen button only). The file goes to Gradio's
    cache, named by its content, so it is written once and deleted with the uploads (`delete_cache`)."""
    if not any(isinstance(message.get("content"), Painted) for message in history):
        return history
    shown = []
    for message in history:
        painted = message.get("content")
        if not isinstance(painted, Painted):
            shown.append(message)
            continue
        path = save_pil_to_cache(painted.image, get_upload_folder(), name=Path(painted.file_name).stem,
                                 format="jpeg")
        shown += [{**message, "content": gr.Image(value=path, label=painted.alt_text, show_label=False)},
                  {**message, "content": gr.File(value=path, label=painted.file_name)}]
    return shown


def launch(demo: gr.Blocks, kiosk: bool = False, host: str | None = None, port: int | None = None,
           **options):
    """Start the server (blocking unless prevent_thread_lock=True). host/port None = Gradio's defaults,
    which honour GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (as a Hugging Face Space sets them)."""
    bound_heap()  # weeks of photos of every size must not creep the server's memory up (app/serving/heap.py)
    # Gradio asks matplotlib for its backend around every event; left on "auto", the first asking imports pyplot
    # (0.23 s of CPU on this machine, seen in a py-spy profile of `museum bench load`), paid by the first visitor.
    # The app draws no figures.
    matplotlib.use("agg")
    return demo.launch(server_name=host, server_port=port, theme=THEME, css=KIOSK_CSS if kiosk else CSS,
                       show_error=False,  # tracebacks stay in the log, never on a visitor's screen
                       # No run history: its page would show one visitor's photos and questions to the next.
                       # No API page either: visitors need none, and a kiosk has no footer at all.
                       # No "Settings" either: on a Space it opens Gradio's developer panel.
                       run_history=False, footer_links=[] if kiosk else ["gradio"],
                       max_file_size=MAX_UPLOAD, head=ALT_TEXT_SCRIPT + (KIOSK_SCRIPT if kiosk else ""),
                       i18n=GRADIO_WORDS, max_threads=MAX_THREADS, state_session_capacity=MAX_SESSIONS, **options)
