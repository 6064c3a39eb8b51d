// loss kernels (being written)
