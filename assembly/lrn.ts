// lrn kernels (being written)
