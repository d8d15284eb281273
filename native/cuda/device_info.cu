#include <cuda_runtime.h>

#include "device_info.hpp"

namespace lowrank {

CudaInfo query_cuda() {
  CudaInfo info;
  info.compiled = true;
  cudaRuntimeGetVersion(&info.runtimeVersion);
  if (cudaDriverGetVersion(&info.driverVersion) != cudaSuccess) info.driverVersion = 0;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    info.unavailableReason = info.driverVersion == 0
                                 ? std::string("CUDA compiled, no NVIDIA driver or GPU on this machine")
                                 : std::string("CUDA compiled, no usable device: ") + cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky-free error state so later queries start clean
    return info;
  }
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, d) != cudaSuccess) continue;
    CudaDevice dev;
    dev.name = p.name;
    dev.major = p.major;
    dev.minor = p.minor;
    dev.totalMemory = p.totalGlobalMem;
    dev.multiprocessors = p.multiProcessorCount;
    info.devices.push_back(dev);
  }
  if (info.devices.empty()) info.unavailableReason = "CUDA compiled, no device found";
  return info;
}

}  // namespace lowrank
