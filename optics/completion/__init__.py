"""Low-rank tensor completion: HaLRTC, LRTC-TV and the coarse-to-fine (C2F) wrapper.

Usage::

    from codesign.optics.completion import HaLRTC, LRTCTV, C2F
    x = HaLRTC(max_iter=300).complete(tensor, mask)            # mask: True = observed
    x = C2F(HaLRTC()).complete(tensor, mask, reference=truth)  # per-stage PSNR in .stages_

Bad input raises :class:`CompletionInputError` (a ``codesign.errors.CodesignError``).  This package
imports nothing else of ours but that foundation module; :mod:`.opm` (OPM telemetry experiments) imports
:mod:`codesign.optics`.
"""

from ._base import CompletionInputError, Completer, History, psnr, rse, ssim, validate_inputs
from .c2f import C2F, patch_bounds
from .halrtc import HaLRTC, fold, svt, unfold
from .tv import LRTCTV

__all__ = [
    "C2F", "CompletionInputError", "Completer", "HaLRTC", "History", "LRTCTV",
    "fold", "patch_bounds", "psnr", "rse", "ssim", "svt", "unfold", "validate_inputs",
]
