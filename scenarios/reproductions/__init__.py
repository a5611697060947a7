"""Paper reproductions at the papers' own benchmarks (the drivers of `codesign reproduce`)."""
