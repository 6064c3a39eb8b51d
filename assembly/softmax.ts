// softmax kernels (being written)
