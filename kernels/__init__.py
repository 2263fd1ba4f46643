"""Array-in, array-out kernels (installed as ``minigan.kernels``)."""
