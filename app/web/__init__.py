"""The web page (Gradio 6): `build_demo(resources, kiosk=False) -> gr.Blocks` and `launch(demo)` in ui.py.

handlers.py holds the plain functions the page calls (tested without a server), guard.py the per-session
limits against abusive clients, served.py a `museum serve` in a child process (for the browser and load tests).
Gradio is imported by ui.py alone, so `from app.web import handlers` stays light.
"""
