// gemm kernels (being written)
