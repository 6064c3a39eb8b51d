// add kernels (being written)
