"""The real app (built and launched in this process on a free localhost port) under a little load and
some abuse, driven through its HTTP API as a visitor's browser or a script would.

Small numbers here; the full ones come from `museum bench load` (docs/ui.md, "Load"). Every abuse case
ends by checking that an ordinary visitor is still answered.
"""

from __future__ import annotations

import json
import struct
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import pytest

from app.bench.load import Visitor, last_reply, run_load, summarise
from app.web.guard import BUSY_PAINTING, MAX_MESSAGE_CHARS

gradio_client = pytest.importorskip("gradio_client")


@pytest.fixture(scope="module")
def server_url():
    from app.conversation import warm
    from app.serving.resources import Resources
    from app.settings import Settings
    from app.web.served import LOCALHOST, free_port
    from app.web.ui import build_demo, launch

    resources = Resources.from_settings(Settings())
    warm(resources)
    demo = build_demo(resources)
    launch(demo, host=LOCALHOST, port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield demo.local_url
    finally:
        demo.close()


@pytest.fixture(scope="module")
def paintings(met_records) -> list[Path]:
    return [Path(record.image_path) for record in met_records[:4]]


def still_serving(url: str, painting: Path) -> None:
    visitor = Visitor(url)
    try:
        turn = visitor.show(painting)
        assert turn.error is None, turn.error
        assert "collection" in last_reply(visitor.history)  # a Met painting is found in the collection
        assert visitor.ask("when was he born?").error is None
    finally:
        visitor.close()


def test_two_visitors_at_once_get_every_answer(server_url, paintings):
    turns, wall = run_load(server_url, paintings, visitors=2, turns=8, max_seconds=300)
    report = summarise(turns, 2, wall)
    assert report.errors == 0, report.error_examples
    assert [report.latency[kind]["n"] for kind in ("image", "text", "why")] == [2, 4, 2]


def test_uploads_in_a_tight_loop_get_one_at_a_time_and_others_are_served(server_url, paintings):
    from gradio_client import handle_file

    flooder = Visitor(server_url)
    try:
        jobs = [flooder.client.submit([], handle_file(str(paintings[0])), api_name=flooder.endpoints.image)
                for _ in range(8)]
        still_serving(server_url, paintings[1])  # while the flood is in the queue
        replies = [last_reply(job.result(timeout=300)[0]) for job in jobs]
    finally:
        flooder.close()
    busy = [reply for reply in replies if reply == BUSY_PAINTING]
    assert busy, "a second painting from the same session while the first is worked on is turned away"
    assert len(busy) < len(replies), "and the first one is answered"


def test_a_long_message_is_refused_with_a_reason(server_url, paintings):
    visitor = Visitor(server_url)
    try:
        turn = visitor.ask("who painted this? " * 1700)  # ~30,000 characters
        assert turn.error is None
        assert "too long" in last_reply(visitor.history) and f"{30_600:,}" in last_reply(visitor.history)
    finally:
        visitor.close()
    assert 30_600 > MAX_MESSAGE_CHARS
    still_serving(server_url, paintings[2])


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height RGB pixels but holds one row: a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = zlib.compress(b"\x00" + b"\x00" * 3 * width)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", row) + chunk(b"IEND", b""))


def test_a_decompression_bomb_is_refused_with_a_reason(server_url, paintings, tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header_only(20_000, 10_000))  # 200 M pixels in a few kB
    visitor = Visitor(server_url)
    try:
        assert visitor.show(bomb).error is None
        assert "too large" in last_reply(visitor.history)
    finally:
        visitor.close()
    still_serving(server_url, paintings[3])


def test_an_upload_over_the_size_limit_is_refused(server_url, paintings, tmp_path):
    from gradio_client import handle_file

    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + bytes(21 * 2**20))  # 21 MB: over the 20 MB limit
    visitor = Visitor(server_url)
    try:
        with pytest.raises(Exception, match="(?i)size|large|413"):
            visitor.client.predict([], handle_file(str(big)), api_name=visitor.endpoints.image)
    finally:
        visitor.close()
    still_serving(server_url, paintings[0])


def test_malformed_api_calls_are_refused_and_change_nothing(server_url, paintings):
    from gradio_client import handle_file

    visitor = Visitor(server_url)
    try:
        # A file that is no image (the client uploads its bytes) is answered in words, not with an error.
        outputs = visitor.client.predict([], handle_file("/etc/hostname"), api_name=visitor.endpoints.image)
        assert last_reply(outputs[0]).startswith("I couldn't use that picture")
        # The wrong types for the chat history.
        with pytest.raises(Exception):
            visitor.client.predict({"not": "a history"}, 42, api_name=visitor.endpoints.text)
    finally:
        visitor.close()
    # Raw requests that are not Gradio calls at all.
    for body in (b"{not json", json.dumps({"data": [], "fn_index": 10_000}).encode(),
                 json.dumps({"data": "x" * 1000, "fn_index": -1, "session_hash": "abc"}).encode()):
        request = urllib.request.Request(server_url + "gradio_api/queue/join", data=body,
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert 400 <= refused.value.code < 500
    still_serving(server_url, paintings[1])
