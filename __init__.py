"""codesign: hardware/algorithm co-design toolkit.

Subpackages: ``cam`` (hardware primitives), ``sim`` (exchange format and simulator),
``models`` (PyTorch layers and training), ``optics`` (optical line system and tap
detection), ``scenarios`` (runner and CLI), ``bench`` (benchmarks). Foundation modules every
package may import: ``errors`` (``CodesignError``, bad input) and ``atomic`` (atomic file writes).
"""

import os as _os

__version__ = "0.1.0"


def _numba_cache_dir() -> str:
    """``<cache root>/numba`` (same root as :func:`codesign.scenarios.cache.cache_root`)."""
    root = _os.environ.get("CODESIGN_CACHE_DIR")
    if root:
        return _os.path.join(_os.path.abspath(_os.path.expanduser(root)), "numba")
    import platformdirs

    return _os.path.join(platformdirs.user_cache_dir("codesign"), "numba")


# Numba's cache=True writes next to the source by default, i.e. into the installed package;
# send it to the user's cache folder instead (before any of our modules imports numba).
_os.environ.setdefault("NUMBA_CACHE_DIR", _numba_cache_dir())
