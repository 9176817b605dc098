"""The `museum` command line as a shell user meets it: what it imports, its registry, its conventions."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import pytest

from app.settings import PROJECT_ROOT

HEAVY = ("torch", "gradio", "faiss", "open_clip", "sentence_transformers", "sklearn")

# Runs the `museum` entry point, then reports on stderr which heavy libraries it left in sys.modules.
IMPORTS_OF = """
import json, sys
from app.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
heavy = sorted(name for name in sys.modules if name.split(".")[0] in {heavy!r} or name.endswith("_commands"))
print(json.dumps({{"code": code, "modules": heavy}}), file=sys.stderr)
""".format(heavy=set(HEAVY))


def _imports_of(*argv: str) -> tuple[int, list[str], str]:
    done = subprocess.run([sys.executable, "-c", IMPORTS_OF, *argv], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], report["modules"], done.stdout


def test_help_imports_no_command_and_no_heavy_library():
    code, modules, out = _imports_of("--help")
    assert code == 0 and "ask" in out and "chat" in out
    assert modules == [], f"`museum --help` imported {modules}"


def test_a_text_question_loads_neither_torch_nor_gradio():
    code, modules, out = _imports_of("ask", "when was Monet born?")
    assert code == 0 and "1840" in out
    assert not {m.split(".")[0] for m in modules} & set(HEAVY), f"a text `museum ask` imported {modules}"
    assert "app.cli.commands.index_commands" not in modules


def test_an_unchanged_index_build_loads_no_image_model(tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(PROJECT_ROOT / "index" / "met-efficientnet-lite0", index_dir)
    # The shipped encoder index holds no local features (the match reads the whole-image index's), so it is
    # unchanged only for a build that stores none.
    code, modules, out = _imports_of("index", "build", "--index-dir", str(index_dir), "--local-features", "none")
    assert code == 0 and "index up to date: 174 artworks, nothing to encode" in out
    assert "torch" not in modules, "the build loaded the encoder with nothing to encode"


def test_loading_pauses_the_garbage_collector_and_frees_what_it_left():
    import gc
    import weakref

    from app.runtime import loading

    class Node:
        pass

    with loading():
        assert not gc.isenabled()
        cycle = Node()
        cycle.self, left = cycle, weakref.ref(cycle)
        del cycle
        assert left() is not None  # not collected while loading
    assert gc.isenabled() and left() is None


def test_every_registered_command_is_in_the_registry():
    from app.cli import build_parser
    from app.cli.commands import COMMANDS

    parser = build_parser()  # every group, in full
    subparsers = next(action for action in parser._actions if action.dest == "command")
    assert list(subparsers.choices) == [command.name for command in COMMANDS]


@pytest.mark.parametrize("argv", [["ask", "--help"], ["index", "build", "--help"], ["bench", "--help"]])
def test_a_command_help_shows_its_own_flags(argv, capsys):
    from app.cli import build_parser

    with pytest.raises(SystemExit) as exit:
        build_parser(argv).parse_args(argv)
    assert exit.value.code == 0 and "--encoder" in capsys.readouterr().out


@pytest.mark.parametrize("module", ["app", "app.cli"])
def test_python_dash_m_runs_the_command_line_with_one_line_errors(module):
    done = subprocess.run([sys.executable, "-m", module, "ask", "--image", "/no/such/painting.jpg", "hello"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.strip() == "museum: no such image: /no/such/painting.jpg"


def test_chat_plays_a_script_from_standard_input():
    script = "when was Monet born?\n# a comment\nwhere was he born?\n"
    done = subprocess.run([sys.executable, "-m", "app", "chat", "--script", "-", "--json"], input=script,
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line)["reply"] for line in done.stdout.splitlines()]
    assert len(replies) == 2 and "1840" in replies[0] and "Paris" in replies[1]


def test_an_image_from_standard_input(met_image_path, monkeypatch, capsys):
    from app.cli import main

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(met_image_path.read_bytes())))
    assert main(["similar", "-", "-k", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["image"] == "-" and result["results"][0]["title"] == "Irises"


def test_help_documents_the_exit_codes(capsys):
    from app.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser(["--help"]).parse_args(["--help"])
    out = capsys.readouterr().out
    assert "exit codes:" in out and "130" in out and '"-" reads standard input' in out


def test_one_thread_budget_caps_torch_blas_and_decoding(monkeypatch):
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    from app.runtime import apply_thread_budget
    from app.settings import Settings

    monkeypatch.setenv("MUSEUM_THREADS", "1")
    settings = Settings(workers=4)
    assert settings.threads == 1 and settings.workers == 1  # decode threads stay within the budget
    previous = torch.get_num_threads()
    try:
        with threadpool_limits(limits=None):  # puts the BLAS limits back on leaving
            apply_thread_budget(settings.threads)
            assert torch.get_num_threads() == 1
            assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    finally:
        torch.set_num_threads(previous)


def test_settings_beside_an_artifact_carry_no_machine_paths(tmp_path):
    from app.settings import INDEX_ROOT, Settings

    written = Settings(index_dir=INDEX_ROOT / "x", best_artworks=tmp_path).to_json()
    assert written["index_dir"] == "index/x" and written["heads_dir"] == "classifier/weights/efficientnet-lite0"
    assert written["best_artworks"] == str(tmp_path) and "threads" not in written  # outside the project: as given
    for artifact in (INDEX_ROOT / "met-efficientnet-lite0", PROJECT_ROOT / "classifier/weights/efficientnet-lite0"):
        committed = json.loads((artifact / "settings.json").read_text())
        assert not any(str(value).startswith("/") for value in committed.values()), artifact


def test_ci_runs_the_readme_test_command_with_the_linter():
    readme = (PROJECT_ROOT / "README.md").read_text()
    command = readme.split("Run the tests", 1)[1].split("```bash\n", 1)[1].split("\n```", 1)[0].strip()
    assert "ruff check ." in command and command in (PROJECT_ROOT / ".ci" / "run").read_text()


def test_progress_off_a_terminal_is_whole_lines_not_a_bar_redrawn_in_place(capsys):
    from app.cli.commands.shared import progress_bar

    with progress_bar(total=3, unit="photo", desc="photos") as bar:
        bar.update(3)
        bar.reset(2)
        bar.set_description("paintings")
    written = capsys.readouterr().err
    assert "\r" not in written and written.endswith("\n")
    lines = written.splitlines()
    assert lines[0].startswith("photos:") and "0/3" in lines[0] and lines[-1].startswith("paintings:")
