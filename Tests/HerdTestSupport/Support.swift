import HerdTensor
