// LOWRANK_HOST_DEVICE marks plain functions that host code and CUDA device code share (the Philox generator, the
// eigenvector conventions): __host__ __device__ under nvcc, nothing for a host compiler.
#pragma once

#if defined(__CUDACC__)
#define LOWRANK_HOST_DEVICE __host__ __device__
#else
#define LOWRANK_HOST_DEVICE
#endif
