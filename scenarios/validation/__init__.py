"""``codesign validate``: published designs rebuilt from our technology files, ours vs published.

:func:`all_rows` returns every comparison (:class:`~codesign.scenarios.validation.rows.Row`); figures and
sources are in ``data/validation/published.json``; docs/validation.md explains each difference.
"""

from __future__ import annotations

from codesign.scenarios.validation.rows import Row


def all_rows() -> list[Row]:
    from codesign.scenarios.validation import cam, isaac, memory

    return isaac.rows() + cam.rows() + memory.rows()
