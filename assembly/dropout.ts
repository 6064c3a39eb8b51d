// dropout kernels (being written)
