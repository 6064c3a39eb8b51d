// concat kernels (being written)
