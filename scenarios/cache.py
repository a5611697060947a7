"""Where codesign keeps its caches (trained models, accuracies, Numba JIT code).

The root is $CODESIGN_CACHE_DIR when set, else the platform's user cache folder
(``platformdirs.user_cache_dir("codesign")``, e.g. ``~/.cache/codesign`` on Linux);
``codesign --cache-dir DIR`` sets it for one run. Nothing is cached inside the package.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import platformdirs

import codesign

#: environment variable overriding the cache root (read by worker processes too)
CACHE_ENV = "CODESIGN_CACHE_DIR"


#: the installed ``codesign`` package folder (source paths for :func:`code_hash` are relative to it)
PACKAGE_ROOT = Path(codesign.__file__).resolve().parent


def code_hash(sources: tuple[str, ...]) -> str:
    """Hash of the package source files (paths relative to the package) whose change invalidates a cache."""
    h = hashlib.sha256()
    for rel in sources:
        p = PACKAGE_ROOT / rel
        if not p.is_file():
            raise RuntimeError(f"code_hash: {rel}: not a file of the codesign package ({PACKAGE_ROOT})")
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def cache_root() -> Path:
    """The cache root folder (not created here; writers create what they use)."""
    env = os.environ.get(CACHE_ENV)
    root = os.path.abspath(os.path.expanduser(env)) if env else platformdirs.user_cache_dir("codesign")
    return Path(root)


def set_cache_root(folder: str | os.PathLike) -> Path:
    """Use ``folder`` as the cache root for this process and the worker processes it starts.

    Numba's JIT cache follows (``<root>/numba``) unless the user set $NUMBA_CACHE_DIR themselves.
    """
    ours = os.environ.get("NUMBA_CACHE_DIR") == str(cache_root() / "numba")
    os.environ[CACHE_ENV] = os.path.abspath(os.path.expanduser(os.fspath(folder)))
    root = cache_root()
    if ours:
        os.environ["NUMBA_CACHE_DIR"] = str(root / "numba")
        if "numba" in sys.modules:
            sys.modules["numba"].core.config.reload_config()
    return root
