"""Finding repeated keys in bounded memory: one 8-byte hash a row in a numpy array, sorted in place
(no hash table of all rows); the rows whose hash repeats are then checked exactly on their keys.
Used by rule 1 of the observations (same record id) and by the grain check of lazy tables."""
from __future__ import annotations

import numpy as np


def repeated_hashes(hashes: np.ndarray) -> np.ndarray:
    """The distinct values occurring more than once in `hashes` (sorted in place, so reordered)."""
    hashes.sort()
    return np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
