// batchnorm kernels (being written)
