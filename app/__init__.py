"""The assistant a visitor talks to, in rooms by job:

    settings.py, runtime.py   one Settings (MUSEUM_ environment prefix, CLI flags) and the process's set-up
    conversation/             a visitor's turn -> a reply (engine, intents, answers, i18n)
    serving/                  what one process keeps loaded for every visitor, and the shared backbone
    web/                      the Gradio page and its handlers
    cli/                      the `museum` command line
    bench/                    every benchmark, of every layer
"""
