"""The Gradio app: chat with a painting, side panels for the prediction, the artist and similar works.

`build_demo(resources, kiosk)` lays the page out and wires events to the plain handlers in
app/ui_handlers.py; `launch(demo, ...)` starts it with the theme and CSS (Gradio 6 takes those in
launch(), not in Blocks()). Used by `museum serve` and by the Hugging Face Space's app.py.
"""

from __future__ import annotations

import gradio as gr

from app.guard import BUSY_PAINTING, BUSY_QUESTION, OneAtATime, refusal, too_long
from app.ui_handlers import KEEP, MAX_SUGGESTIONS, View, idle_check, send_image, send_text, start_view

DEFAULT_IDLE_SECONDS = 180
IDLE_CHECK_EVERY = 15  # seconds between kiosk idle checks (at most): a reset comes at most this late
MAX_UPLOAD = "20mb"  # a phone photo fits; anything larger is refused by the server before decoding

# Concurrency, on a 2-core CPU machine shared by several visitors:
# - "vision" lane (new painting: find the painting, one backbone forward, nearest neighbours, thumbnails):
#   many at once, because their forwards meet in app/vision.py's micro-batcher and run as ONE batched
#   forward (far cheaper per painting than one forward each); the rest of the turn is light.
# - "chat" lane (typed questions and follow-up buttons: text turns are ~50 ms; "Why?" explanations
#   can take seconds): two at a time, so one visitor's explanation never queues another's quick
#   answer, and a queue of uploads never delays anyone's text answer.
# - the kiosk idle timer runs outside the queue: it only compares two times.
# Resources are built once per process and shared by all lanes; each browser session has its own
# gr.State, so conversations never mix.
VISION_LANE, CHAT_LANE = "vision", "chat"
VISION_LIMIT, CHAT_LIMIT = 32, 2
QUEUE_SIZE = 256  # events waiting at most (a bound on memory whatever a script sends); more are refused

# System fonts: the default theme fonts come from Google Fonts, which an offline kiosk cannot reach.
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"]
THEME = gr.themes.Soft(primary_hue="amber", neutral_hue="stone", font=SYSTEM_FONTS,
                       font_mono=["ui-monospace", "monospace"])
CSS = """
#painting, #explanation {min-height: 220px}
.suggestion button, button.suggestion {white-space: normal}
"""
KIOSK_CSS = CSS + """
footer {display: none !important}
.gradio-container {max-width: 100% !important; padding: 12px 20px !important; font-size: 1.2rem}
.gradio-container button {min-height: 64px; min-width: 48px; font-size: 1.25rem !important}
#chat .message {font-size: 1.2rem}
#question textarea {font-size: 1.3rem !important; min-height: 56px}
"""


def build_demo(resources, kiosk: bool = False, idle_seconds: float = DEFAULT_IDLE_SECONDS) -> gr.Blocks:
    """The page, for Resources already built (and ideally warmed) once for the whole process."""
    first = start_view()
    with gr.Blocks(title="Museum assistant", fill_width=kiosk,
                   delete_cache=(3600, 3 * 3600)) as demo:  # a kiosk runs for weeks: drop old uploads
        visit = gr.State(first.visit)
        gr.Markdown("## Museum assistant\nShow me a painting and ask about it.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chat = gr.Chatbot(value=first.history, elem_id="chat", label="Conversation",
                                  height=520 if kiosk else 460, buttons=[], feedback_options=None,
                                  allow_file_downloads=False)
                with gr.Row():
                    labels = list(first.suggestions) + [""] * MAX_SUGGESTIONS
                    suggestions = [gr.Button(label, visible=bool(label), size="lg", elem_classes=["suggestion"])
                                   for label in labels[:MAX_SUGGESTIONS]]
                with gr.Row(equal_height=True):
                    question = gr.Textbox(placeholder="Ask a question, e.g. “Who painted this?”",
                                          show_label=False, scale=4, max_length=2000, elem_id="question",
                                          autofocus=not kiosk)
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                # image_mode=None: Gradio passes the upload's path on without decoding it (no RGB copy of a
                # decompression bomb); data/images.py checks the pixel count before it decodes.
                painting = gr.Image(sources=["upload", "webcam"], type="filepath", label="Your painting",
                                    elem_id="painting", height=300, buttons=[], image_mode=None)
            with gr.Column(scale=2):
                top_artists = gr.Label(label="Most likely artists", num_top_classes=3, elem_id="top-artists")
                movement = gr.Markdown(elem_id="movement")
                explanation = gr.Image(label="Why I think so", visible=False, interactive=False,
                                       elem_id="explanation", buttons=[], format="jpeg")
                card = gr.Markdown(elem_id="artist-card")
                # JPEG thumbnails: 0.5 ms to encode against 15 ms for Gradio's default WebP (six per reply).
                gallery = gr.Gallery(label="Similar paintings", columns=3, height="auto", elem_id="gallery",
                                     allow_preview=True, buttons=[], interactive=False, format="jpeg")

        outputs = [visit, chat, question, painting, top_artists, movement, card, gallery, explanation,
                   *suggestions]

        # One painting and one question at a time per session (app/guard.py): a script sending uploads in a
        # loop gets instant "one at a time" replies instead of other visitors' turns.
        painting_turns, question_turns = OneAtATime(), OneAtATime()

        def on_text(state, history, text, request: gr.Request, progress=gr.Progress()):
            refused = too_long(text)
            with question_turns.turn(request.session_hash) as free:
                if refused or not free:
                    return outputs_of(refusal(state, history, refused or BUSY_QUESTION))
                progress(None, desc="Thinking…")
                # A detailed (LIME) explanation takes seconds: its steps show as a progress bar.
                return outputs_of(send_text(resources, state, history, text,
                                            lambda fraction, desc: progress(fraction, desc=desc)))

        def on_image(state, history, image_path, request: gr.Request, progress=gr.Progress()):
            with painting_turns.turn(request.session_hash) as free:
                if not free:
                    return outputs_of(refusal(state, history, BUSY_PAINTING))
                progress(None, desc="Looking at the painting…")
                return outputs_of(send_image(resources, state, history, image_path))

        # The progress message shows over the conversation only, not over every panel.
        shown = dict(outputs=outputs, show_progress="full", show_progress_on=[chat])
        chat_lane = dict(**shown, concurrency_id=CHAT_LANE, concurrency_limit=CHAT_LIMIT)
        question.submit(on_text, [visit, chat, question], **chat_lane)
        ask.click(on_text, [visit, chat, question], **chat_lane)
        for button in suggestions:
            button.click(on_text, [visit, chat, button], **chat_lane)
        # change, not upload: a webcam snapshot is a change too; a cleared picture (None) is ignored.
        painting.change(on_image, [visit, chat, painting], **shown, concurrency_id=VISION_LANE,
                        concurrency_limit=VISION_LIMIT)
        # The chat's bin icon starts a new conversation, not just an empty-looking one.
        chat.clear(lambda: outputs_of(start_view()), None, outputs, queue=False, show_progress="hidden")
        if kiosk:
            timer = gr.Timer(min(IDLE_CHECK_EVERY, idle_seconds / 4))
            timer.tick(lambda state: outputs_of(idle_check(state, idle_seconds)), [visit], outputs,
                       queue=False, show_progress="hidden")
    demo.queue(default_concurrency_limit=CHAT_LIMIT, max_size=QUEUE_SIZE)
    return demo


def outputs_of(view: View) -> tuple:
    """A View as values for the `outputs` list of build_demo (gr.skip() for KEEP)."""
    def value(item):
        return gr.skip() if item is KEEP else item

    if view.top_artists is KEEP:
        top = gr.skip()
    else:
        top = gr.update(value=view.top_artists or None, label=view.top_heading)
    overlay = gr.skip() if view.overlay is KEEP else gr.update(value=view.overlay,
                                                                 visible=view.overlay is not None)
    if view.suggestions is KEEP:
        buttons = [gr.skip()] * MAX_SUGGESTIONS
    else:
        labels = list(view.suggestions)[:MAX_SUGGESTIONS]
        buttons = [gr.update(value=label, visible=True) for label in labels]
        buttons += [gr.update(visible=False)] * (MAX_SUGGESTIONS - len(labels))
    typed_over = view.history is not KEEP  # the question was answered (or the page reset): empty the box
    return (view.visit, value(view.history), "" if typed_over else gr.skip(),
            None if view.clear_inputs else gr.skip(), top, value(view.movement), value(view.card),
            value(view.gallery), overlay, *buttons)


def launch(demo: gr.Blocks, kiosk: bool = False, host: str | None = None, port: int | None = None,
           **options):
    """Start the server (blocking unless prevent_thread_lock=True). host/port None = Gradio's defaults,
    which honour GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (as a Hugging Face Space sets them)."""
    return demo.launch(server_name=host, server_port=port, theme=THEME, css=KIOSK_CSS if kiosk else CSS,
                       show_error=False,  # tracebacks stay in the log, never on a visitor's screen
                       footer_links=[] if kiosk else None, max_file_size=MAX_UPLOAD, **options)
