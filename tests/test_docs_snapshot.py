"""docs/assistant.md's example conversation is a snapshot: replayed through `museum chat --script`, the
replies must read exactly as the doc shows them, so the docs cannot drift from the product.

After an intended change of the replies, rewrite the doc's transcript with
`MUSEUM_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_docs_snapshot.py` and review the diff.
"""

from __future__ import annotations

import os

from app.settings import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "assistant.md"
MET = "<met>"  # the doc's stand-in for this machine's Met image folder
FENCE = "```text\n"


def _blocks(text: str) -> tuple[int, int, int, int]:
    """(start, end) of the script block and of the transcript block after "## Example"."""
    example = text.index("## Example")
    script_start = text.index(FENCE, example) + len(FENCE)
    script_end = text.index("```", script_start)
    transcript_start = text.index(FENCE, script_end + 3) + len(FENCE)
    return script_start, script_end, transcript_start, text.index("```", transcript_start)


def test_the_documented_conversation_is_what_the_assistant_says(tmp_path, capsys):
    from app.cli import main
    from data.corpora import met_data_dir

    text = DOC.read_text(encoding="utf-8")
    script_start, script_end, transcript_start, transcript_end = _blocks(text)
    script = tmp_path / "visit.txt"
    script.write_text(text[script_start:script_end].replace(MET, str(met_data_dir())), encoding="utf-8")
    capsys.readouterr()
    assert main(["chat", "--script", str(script)]) == 0
    replayed = capsys.readouterr().out.replace(str(met_data_dir()), MET).rstrip("\n") + "\n"
    if os.environ.get("MUSEUM_UPDATE_SNAPSHOTS") == "1":
        DOC.write_text(text[:transcript_start] + replayed + text[transcript_end:], encoding="utf-8")
        return
    assert replayed == text[transcript_start:transcript_end], "docs/assistant.md drifted: see this module's docstring"
