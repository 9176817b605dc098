"""`museum index build`, `museum similar`, `museum search`.

The image model loads only when there is something to encode: a build of an unchanged corpus, which
needs no more of the encoder than its name and dimension, never imports torch (EncoderOnDemand).
"""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path

from app.cli.commands.shared import EXIT_FAILED, EXIT_OK, UserError, emit_json, image_source, progress_bar
from app.settings import Settings
from data.corpora import BEST_ARTWORKS, FOLDER, MET, CorpusError, load_corpus
from data.images import ImageError, load_image
from retrieval.encoders import OPEN_CLIP_PREFIX, Encoder, EncoderError, load_encoder
from retrieval.engines import ENGINES
from retrieval.query import similar_to_image, text_search
from retrieval.store import (
    MANIFEST_FILE,
    BuildOptions,
    Corpus,
    IndexMissingError,
    IndexStoreError,
    build_store,
    load_store,
    read_manifest,
)
from retrieval.vector_index import AUTO, KINDS, IvfPqParams

log = logging.getLogger(__name__)


def register(subparsers, common) -> None:
    index = subparsers.add_parser("index")
    index_sub = index.add_subparsers(dest="index_command", required=True, metavar="ACTION")
    build = index_sub.add_parser("build", parents=[common], help="encode a corpus into a FAISS index (incremental)")
    source = build.add_mutually_exclusive_group()
    source.add_argument("--corpus", choices=[MET], help="the embedded Met paintings (default)")
    source.add_argument("--best-artworks", metavar="PATH", help="a Kaggle 'Best Artworks of All Time' folder")
    source.add_argument("--folder", metavar="PATH", help="any folder of images (recursive)")
    build.add_argument("--kind", choices=[AUTO, *KINDS], default=AUTO,
                       help="index type; auto = exact, then HNSW, then IVF-PQ as the corpus grows")
    build.add_argument("--batch-size", type=int)
    build.add_argument("--engine", choices=list(ENGINES), help="who encodes: this process (local, default) or a "
                       "Ray cluster (ray; pip install -e '.[cpu,scale]') (MUSEUM_ENGINE)")
    build.add_argument("--ray-address", help="the Ray cluster to join (MUSEUM_RAY_ADDRESS); "
                       "without it --engine ray starts a private local instance")
    build.add_argument("--local-features", dest="local_extractor", choices=["sift", "orb", "none"],
                       help="keypoints stored for recognising paintings in photos (MUSEUM_LOCAL_EXTRACTOR, sift)")
    build.set_defaults(handler=build_command)

    similar = subparsers.add_parser("similar", parents=[common])
    similar.add_argument("images", nargs="+", metavar="IMAGE", help="photos of paintings ('-': standard input)")
    similar.add_argument("-k", type=int, default=10, help="how many results per image (default 10)")
    similar.add_argument("--json", action="store_true", help="one JSON object per image, one a line")
    similar.set_defaults(handler=similar_command)

    search = subparsers.add_parser("search", parents=[common])
    search.add_argument("text")
    search.add_argument("-k", type=int, default=10)
    search.add_argument("--no-meaning", action="store_true",
                        help="words and facets only: skip the MiniLM sentence model (faster start)")
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=search_command)


def corpus_of(args) -> tuple[Corpus, str]:
    """(corpus, name for the default index folder) from --corpus / --best-artworks / --folder."""
    if getattr(args, "best_artworks", None):
        return Corpus(BEST_ARTWORKS, Path(args.best_artworks).resolve()), BEST_ARTWORKS
    if getattr(args, "folder", None):
        path = Path(args.folder).resolve()
        return Corpus(FOLDER, path), f"{FOLDER}-{path.name}"
    return Corpus(MET, None), MET


def build_command(args, settings: Settings) -> int:
    corpus, corpus_name = corpus_of(args)
    settings = settings.with_overrides(corpus=corpus_name, batch_size=args.batch_size, engine=args.engine,
                                       ray_address=args.ray_address,
                                       local_extractor=getattr(args, "local_extractor", None))
    try:
        records = load_corpus(corpus.kind, corpus.root)
    except CorpusError as error:
        raise UserError(str(error)) from None
    if not records:
        raise UserError(f"the corpus at {corpus.root or corpus.kind} holds no images; nothing was written")
    directory = settings.resolved_index_dir()
    encoder = encoder_for_build(settings.encoder, directory)
    log.info("indexing %d artworks from %s into %s with %s", len(records), corpus.root or corpus.kind,
             directory, encoder.name)
    with progress_bar(total=None, unit="img", desc="encoding") as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            report = build_store(records, encoder, directory, corpus, settings.to_json(),
                                 build_options(settings, args.kind), progress=progress)
        except IndexStoreError as error:
            raise UserError(str(error)) from None
        except ImportError as error:  # --engine ray without the extra
            raise UserError(f"the {settings.engine} engine needs the scale extra ({error}): "
                            "pip install -e '.[cpu,scale]'") from None
    log.info("%s", report.summary())
    for artwork_id, reason in sorted(report.skipped.items()):
        log.warning("skipped %s: %s", artwork_id, reason)
    print(f"{report.summary()} -> {directory}")
    return EXIT_OK


def build_options(settings: Settings, kind: str = AUTO) -> BuildOptions:
    from retrieval.ray_embed import RayOptions  # imports ray only when the engine runs

    ray = RayOptions(address=settings.ray_address, num_cpus=settings.ray_num_cpus, actors=settings.ray_actors,
                     cpus_per_actor=settings.ray_cpus_per_actor, batch_size=settings.ray_batch_size)
    return BuildOptions(kind=kind, threshold=settings.approx_threshold, ivfpq_threshold=settings.ivfpq_threshold,
                        ivfpq=IvfPqParams(pca=settings.ivf_pca, nlist=settings.ivf_nlist, m=settings.ivf_m,
                                          nbits=settings.ivf_nbits,
                                          nprobe=settings.ivf_nprobe, refine=settings.ivf_refine,
                                          k_factor=settings.ivf_k_factor,
                                          train_size=settings.ivf_train_size),
                        engine=settings.engine, engine_options={"ray": ray}, batch_size=settings.batch_size,
                        workers=settings.workers, shard_size=settings.shard_size, seed=settings.seed,
                        local=settings.local_spec())


def _encoder(settings: Settings) -> Encoder:
    return _loaded(settings.encoder)


def _loaded(name: str) -> Encoder:
    try:
        return load_encoder(name)
    except EncoderError as error:
        raise UserError(str(error)) from None


class EncoderOnDemand:
    """The encoder of a build, loaded the first time the build needs more than its name and dimension.

    Both are in the manifest of the index being updated, and a build of an unchanged corpus needs nothing
    else: it then never loads the model (torch and the weights took 3 s of the 4.2 s such a build took).
    """

    def __init__(self, name: str, dim: int, directory: Path):
        self.name, self.dim, self._directory = name, dim, directory

    @functools.cached_property
    def loaded(self) -> Encoder:
        encoder = _loaded(self.name)
        if encoder.dim != self.dim:  # the name now stands for another model: the old vectors cannot be reused
            raise UserError(f"the index at {self._directory} holds {self.dim}-d vectors but {self.name} now gives "
                            f"{encoder.dim}-d ones: rebuild it (rm -r {self._directory}, then museum index build)")
        return encoder

    def __getattr__(self, attribute: str):  # version, preprocess, embed_batch, ...: what encoding needs
        if attribute.startswith("_") or attribute == "loaded":  # never load for Python's own probing
            raise AttributeError(attribute)
        return getattr(self.loaded, attribute)


def encoder_for_build(name: str, directory: Path) -> Encoder | EncoderOnDemand:
    """The encoder on demand when `directory` holds an index to update, else loaded now."""
    try:
        manifest = read_manifest(directory)
    except IndexStoreError:  # no index yet, or a damaged one: everything may need encoding
        return _loaded(name)
    dim = manifest["encoder"].get("dim")
    return EncoderOnDemand(name, dim, directory) if isinstance(dim, int) else _loaded(name)


def load_index_for(settings: Settings):
    directory = settings.resolved_index_dir()
    try:
        return load_store(directory, settings.encoder, nprobe=settings.ivf_nprobe, k_factor=settings.ivf_k_factor)
    except IndexMissingError:
        raise UserError(f"no index for encoder {settings.encoder} at {directory}: build one with "
                        f"`museum index build --encoder {settings.encoder}`") from None
    except IndexStoreError as error:
        raise UserError(str(error)) from None


def similar_settings(args, settings: Settings) -> Settings:
    """`similar` ranks by the style embedding (settings.similar_encoder) unless --encoder names another encoder
    or --index-dir an index of another one; without a style index for the corpus it uses the encoder's index."""
    if args.encoder:
        return settings
    if args.index_dir:
        try:
            return settings.with_overrides(encoder=read_manifest(Path(args.index_dir))["encoder"]["name"])
        except IndexStoreError:
            return settings  # load_index_for says what is wrong with it
    styled = settings.with_overrides(encoder=settings.similar_encoder)
    if (styled.resolved_index_dir() / MANIFEST_FILE).is_file():
        return styled
    log.info("no %s index at %s: ranking by %s", styled.encoder, styled.resolved_index_dir(), settings.encoder)
    return settings


def similar_command(args, settings: Settings) -> int:
    """Each image's nearest artworks, the model and index loaded once for all of them."""
    settings = similar_settings(args, settings)
    loaded = load_index_for(settings)
    encoder = _encoder(settings)
    errors = []
    for path in args.images:
        try:
            hits = similar_to_image(encoder, loaded, load_image(image_source(path)), args.k)
        except ImageError as error:
            errors.append(str(error))
            if args.json:
                emit_json({"image": path, "error": str(error)})
            elif len(args.images) > 1:
                print(f"museum: {error}", file=sys.stderr)
            continue
        if args.json:
            emit_json({"image": path, "index": str(loaded.directory), "encoder": loaded.encoder_name, "results": [
                {"rank": rank, **hit.to_json()} for rank, hit in enumerate(hits, 1)]})
        else:
            if len(args.images) > 1:
                print(f"{path}:")
            _print_hits(hits)
    if len(errors) == len(args.images):
        raise UserError(errors[-1])
    return EXIT_FAILED if errors else EXIT_OK


def search_command(args, settings: Settings) -> int:
    from retrieval.query import default_knowledge
    from retrieval.search import SearchIndex

    loaded = load_index_for(settings)
    query = " ".join(args.text.split())[:500]
    embed = None
    if not args.no_meaning:
        from retrieval.text_model import load_sentence_model, sentence_embedder

        try:
            embed = sentence_embedder(load_sentence_model())
        except Exception as error:  # search still answers from the words without the sentence model
            log.warning("searching without meaning: the sentence model cannot load (%s)", error)
    index = SearchIndex(loaded.records, default_knowledge(), embed, settings.cache_dir)
    # Only a CLIP encoder adds text-to-image search; the metadata search needs no image model at all.
    encoder = _encoder(settings) if settings.encoder.startswith(OPEN_CLIP_PREFIX) else None
    hits, method = text_search(encoder, loaded, query, args.k, index)
    if args.json:
        emit_json({"query": query, "method": method, "understood": index.parse(query).to_json(), "results": [
            {"rank": rank, **hit.to_json()} for rank, hit in enumerate(hits, 1)]})
    elif hits:
        _print_hits(hits)
    else:
        print(f"No artworks match {query!r}.")
    return EXIT_OK


def _print_hits(hits) -> None:
    for rank, hit in enumerate(hits, 1):
        record = hit.record
        date = f", {record.date}" if record.date else ""
        print(f"{rank:>2}. {hit.score:.3f}  {record.title} — {record.artist or 'unknown artist'}{date}  [{record.id}]")
        print(f"      {record.image_path}")


