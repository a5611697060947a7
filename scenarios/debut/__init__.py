"""Study: DeBut on digits (accuracy table, runner variant, dense vs DeBut on crossbars)."""
