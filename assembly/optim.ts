// optimizer kernels (being written)
