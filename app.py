"""Hugging Face Space entry point (README front matter `app_file: app.py`).

The museum assistant's chat app with no set-up: default Settings, i.e. the embedded Met corpus, the
committed index in index/ and the classifier heads shipped in classifier/weights/. The Space sets
GRADIO_SERVER_NAME/GRADIO_SERVER_PORT, which launch() honours.
"""

from app.runtime import apply_thread_budget, keep_freed_memory, stay_offline

stay_offline()  # before gradio and the models are imported below

from app.cli import configure_logging  # noqa: E402  (after the environment above)
from app.conversation import warm  # noqa: E402
from app.serving.resources import Resources  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.web.ui import build_demo, launch  # noqa: E402

settings = Settings()
apply_thread_budget(settings.threads)
keep_freed_memory()
resources = Resources.from_settings(settings)  # models load lazily; warmed below before serving
demo = build_demo(resources)

if __name__ == "__main__":
    configure_logging(settings.log_level)
    warm(resources)
    launch(demo)
