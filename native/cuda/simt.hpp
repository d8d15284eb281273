// The little that the CUDA backend's kernels and host code need from CUDA, behind names of our own, so that the same
// source compiles two ways:
//  - with nvcc (__CUDACC__): the real thing, kernels on the GPU, memory through the CUDA runtime;
//  - with a host C++ compiler and LOWRANK_SIMT_EMULATION: every block of a launch runs on host threads, one per CUDA
//    thread, with a real barrier for LR_SYNC and a real buffer for dynamic shared memory (simt_emulation.hpp). The
//    test suite runs the backend this way on machines without a GPU; it checks the kernels' arithmetic, indexing and
//    synchronisation, not their speed.
// Kernels use only dynamic shared memory and block-wide barriers (no warp-synchronous code, no atomics), which is
// what keeps both builds and every run deterministic.
#pragma once
#include <cstddef>

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define LR_DEVICE __device__ __forceinline__
#define LR_KERNEL __global__
// A kernel launched with up to `threads` threads per block: the compiler keeps its registers within what that needs
// (spilling if it must), so that such a launch never fails for lack of registers.
#define LR_KERNEL_BOUNDED(threads) __global__ __launch_bounds__(threads, 1)
#define LR_SYNC() __syncthreads()
#define LR_UNROLL _Pragma("unroll")
#define LR_LAUNCH(kernel, grid, block, sharedBytes) kernel<<<(grid), (block), (sharedBytes)>>>
#define LR_DYNAMIC_SHARED(T, name)                                \
  extern __shared__ __align__(16) unsigned char lr_shared_bytes_[]; \
  T* name = reinterpret_cast<T*>(lr_shared_bytes_)
#elif defined(LOWRANK_SIMT_EMULATION)
#include "simt_emulation.hpp"
#else
#error "simt.hpp: compile with nvcc, or define LOWRANK_SIMT_EMULATION for the host emulation"
#endif

// The two builds live in different namespaces, so that one addon can hold both.
#if defined(__CUDACC__)
#define LOWRANK_GPU_NAMESPACE cuda
#else
#define LOWRANK_GPU_NAMESPACE emulated
#endif

namespace lowrank {
namespace LOWRANK_GPU_NAMESPACE {
namespace simt {

// Device memory and transfers. Every failure throws std::runtime_error (std::bad_alloc for memory) naming the call.
void* allocate(size_t bytes);
void release(void* p) noexcept;
void to_device(void* dst, const void* src, size_t bytes);
void to_host(void* dst, const void* src, size_t bytes);
void zero(void* p, size_t bytes);
void check_launch(const char* kernel);  // a launch that failed becomes an exception
size_t free_memory();  // bytes the device can still allocate

// Threads per block that the kernels may use (a power of two).
constexpr int kMaxBlockThreads = 1024;
// Dynamic shared memory a block may use without opting in.
constexpr size_t kMaxSharedBytes = 48 * 1024;

}  // namespace simt
}  // namespace LOWRANK_GPU_NAMESPACE
}  // namespace lowrank
