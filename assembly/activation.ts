// activation kernels (being written)
