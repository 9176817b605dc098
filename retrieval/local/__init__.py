"""Recognising a collection's painting in a visitor's photo, in stages as hloc arranges them: local features
(`features`), tentative matches (`matching`), geometric verification (`verification`), the decision over a
shortlist (`recognise`); `store` and `build` keep a collection's features beside its index."""

from retrieval.local.features import EXTRACTORS, LocalFeatures, extract, register_extractor
from retrieval.local.matching import MATCHERS, register_matcher
from retrieval.local.recognise import MatchRule, Recognised, recognise, verify_candidates
from retrieval.local.store import LocalFeatureStore, LocalSpec
from retrieval.local.verification import Verification, verify

__all__ = ["EXTRACTORS", "MATCHERS", "LocalFeatureStore", "LocalFeatures", "LocalSpec", "MatchRule", "Recognised",
           "Verification", "extract", "recognise", "register_extractor", "register_matcher", "verify",
           "verify_candidates"]
