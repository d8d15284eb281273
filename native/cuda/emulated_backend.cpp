// The CUDA backend's kernels (training, fixed points) compiled for the host emulation (simt.hpp), so that the tests
// can run them without a GPU.
#define LOWRANK_SIMT_EMULATION 1
#include "gpu_backend.cu"
#include "gpu_fixed_points.cu"
