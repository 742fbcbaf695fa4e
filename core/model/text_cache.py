"""On-disk cache of text embeddings, one .npz file per text model, keyed by a hash of each text."""

import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

import numpy as np

from core.paths import cache_dir

log = logging.getLogger(__name__)


def text_key(text: str) -> str:
    """sha256 of the exact text: the cache never confuses two texts and stores no user text in clear."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Embeddings of one model under cache_dir()/text_embeddings/. Read once per instance; writes merge with
    what other processes stored meanwhile and replace the file atomically, so a reader never sees half a file."""

    def __init__(self, model_name: str):
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_name)[-60:]
        digest = hashlib.sha1(model_name.encode("utf-8")).hexdigest()[:10]
        self.model_name = model_name
        self.path = cache_dir() / "text_embeddings" / f"{slug}-{digest}.npz"
        self._vectors: dict[str, np.ndarray] | None = None  # key -> (D,) float32, loaded on first use

    def _read(self) -> dict[str, np.ndarray]:
        if not self.path.is_file():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if str(data["model"]) != self.model_name:
                    log.warning("ignoring text cache %s: it belongs to model %s", self.path, data["model"])
                    return {}
                return dict(zip(data["keys"].tolist(), data["vectors"].astype(np.float32)))
        except (OSError, ValueError, KeyError) as error:
            # A damaged cache only costs a re-embedding; it is rewritten on the next store.
            log.warning("ignoring unreadable text cache %s: %s", self.path, error)
            return {}

    def _entries(self) -> dict[str, np.ndarray]:
        if self._vectors is None:
            self._vectors = self._read()
        return self._vectors

    def dim(self) -> int | None:
        """The dimension of the cached vectors, or None when nothing is cached yet."""
        entries = self._entries()
        return len(next(iter(entries.values()))) if entries else None

    def lookup(self, texts: list[str]) -> dict[str, np.ndarray]:
        """{text: vector} for the texts already cached."""
        entries = self._entries()
        found = {}
        for text in texts:
            vector = entries.get(text_key(text))
            if vector is not None:
                found[text] = vector
        return found

    def store(self, vectors: dict[str, np.ndarray]) -> None:
        """Add {text: vector} and write the file; failure to write is logged, never fatal."""
        entries = self._read()  # merge what another process may have written since we read
        entries.update(self._entries())
        entries.update({text_key(text): np.asarray(v, dtype=np.float32) for text, v in vectors.items()})
        self._vectors = entries
        keys = np.array(list(entries.keys()), dtype="<U64")
        stacked = np.stack(list(entries.values())).astype(np.float32)
        temp_name = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp_name = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.stem, suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                np.savez(file, model=np.array(self.model_name), keys=keys, vectors=stacked)
            os.replace(temp_name, self.path)
        except OSError as error:
            log.warning("could not write text cache %s: %s", self.path, error)
            if temp_name is not None:
                Path(temp_name).unlink(missing_ok=True)
