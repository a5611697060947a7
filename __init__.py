"""codesign: hardware/algorithm co-design toolkit.

Subpackages: ``cam`` (hardware primitives), ``sim`` (exchange format and simulator),
``models`` (PyTorch layers and training), ``optics`` (optical line system and tap
detection), ``scenarios`` (runner and CLI), ``bench`` (benchmarks). Foundation modules every
package may import: ``errors`` (``CodesignError``, bad input) and ``atomic`` (atomic file writes).
"""

__version__ = "0.1.0"
