"""The Ray build engine on a private local Ray instance (one per module: starting Ray takes seconds)."""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from data.corpora import load_folder
from retrieval.engines import ENGINES, LOCAL, RAY, encode_with_ray
from retrieval.ray_embed import RayOptions, ray_session
from retrieval.shards import ShardSet
from retrieval.store import SHARDS_DIR, BuildOptions, Corpus, build_store, load_store
from retrieval.vector_index import all_vectors

# Looked up, not imported: the private instance listens on 127.0.0.1 only if `ray` is first imported by ray_session.
pytestmark = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                reason="the Ray engine needs the scale extra: pip install -e '.[cpu,scale]'")

# Two actors of one CPU each, small Ray batches, so a dozen images really are spread and streamed.
RAY_OPTIONS = {"ray": RayOptions(num_cpus=2, actors=2, cpus_per_actor=1, batch_size=3)}


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    with ray_session(RAY_OPTIONS["ray"]):
        yield


@pytest.fixture(scope="module")
def dozen(tmp_path_factory, met_records):
    """Twelve real Met paintings and one broken file."""
    root = tmp_path_factory.mktemp("dozen")
    for record in met_records[:12]:
        shutil.copy(record.image_path, root / record.image_path.name)
    (root / "broken.jpg").write_bytes(b"not a jpeg")
    return root


def build(root, directory, encoder, engine, **options):
    return build_store(load_folder(root), encoder, directory, Corpus("folder", root), {},
                       BuildOptions(engine=engine, engine_options=RAY_OPTIONS, **options))


def test_ray_engine_gives_the_local_vectors(dozen, tmp_path, lite0):
    local = build(dozen, tmp_path / "local", lite0, LOCAL)
    distributed = build(dozen, tmp_path / "ray", lite0, RAY, shard_size=5)
    assert (distributed.encoded, distributed.count) == (local.encoded, local.count) == (12, 12)
    assert distributed.skipped == local.skipped and len(local.skipped) == 1
    by_local, by_ray = load_store(tmp_path / "local"), load_store(tmp_path / "ray")
    assert by_ray.items["content_hash"].tolist() == by_local.items["content_hash"].tolist()
    # Same model, same preprocessing; only the batch grouping differs, which moves float sums in the last bits.
    np.testing.assert_allclose(all_vectors(by_ray.index), all_vectors(by_local.index), atol=1e-5)


def test_killed_ray_build_resumes_from_its_shards(dozen, tmp_path, lite0, monkeypatch, interrupted):
    monkeypatch.setitem(ENGINES, RAY, interrupted(2, encode_with_ray))
    with pytest.raises(KeyboardInterrupt):
        build(dozen, tmp_path / "index", lite0, RAY, shard_size=4)
    written = ShardSet(tmp_path / "index" / SHARDS_DIR, lite0.name, lite0.dim).count()
    assert 7 <= written <= 8  # two shards of 4 rows; the broken file, when among them, gave no vector
    monkeypatch.setitem(ENGINES, RAY, encode_with_ray)
    report = build(dozen, tmp_path / "index", lite0, RAY, shard_size=4)
    assert (report.resumed, report.encoded, report.count) == (written, 12 - written, 12)
    again = build(dozen, tmp_path / "index", lite0, RAY, shard_size=4)
    assert (again.encoded, again.reused) == (0, 12)  # incremental: nothing new, nothing encoded


def _descendants(root: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):  # a process that ended meanwhile
            continue
    found, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        children = {pid for pid, parent in parents.items() if parent == current} - found
        found |= children
        frontier.extend(children)
    return found


def _listening_addresses(pids: set[int]) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Local addresses of the TCP sockets these processes listen on (from /proc: no extra dependency)."""
    inodes = set()
    for pid in pids:
        try:
            inodes |= {os.readlink(fd)[8:-1] for fd in Path(f"/proc/{pid}/fd").iterdir()
                       if os.readlink(fd).startswith("socket:[")}
        except OSError:
            continue
    addresses = set()
    for table, width in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                # The kernel prints the address as 32-bit words in host (little-endian) order.
                raw = bytes.fromhex(fields[1].split(":")[0])
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, width, 4))
                addresses.add(ipaddress.ip_address(words))
    return addresses


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="reads listening sockets from Linux's /proc")
def test_private_ray_instance_listens_on_loopback_only():
    addresses = _listening_addresses(_descendants(os.getpid()))
    assert addresses  # the GCS, the raylet and the workers listen
    assert all((getattr(address, "ipv4_mapped", None) or address).is_loopback for address in addresses), addresses
