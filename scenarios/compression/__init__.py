"""Study: compression (kernel tensor view, shift pruning, EZCrop) and its hardware cost."""
