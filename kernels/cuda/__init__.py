"""Numba CUDA kernels."""
