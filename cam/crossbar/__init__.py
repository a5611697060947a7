"""Analog IMC crossbars: parameters and tile plans, the functional model, the cost model, Numba kernels."""
