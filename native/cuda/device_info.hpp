// What the CUDA runtime reports about this machine. Plain C++: no CUDA headers needed to include this.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace lowrank {

struct CudaDevice {
  std::string name;
  int major = 0, minor = 0;
  uint64_t totalMemory = 0;
  int multiprocessors = 0;
};

struct CudaInfo {
  bool compiled = false;     // this binary contains the CUDA backend
  int runtimeVersion = 0;    // e.g. 13000
  int driverVersion = 0;     // 0 when no driver is installed
  std::vector<CudaDevice> devices;
  std::string unavailableReason;  // empty when at least one device is usable
};

// Never throws; a machine with no driver or no GPU gives an empty device list and a reason.
CudaInfo query_cuda();

// Throws std::runtime_error("device 'cuda': <reason>") unless a device is usable.
inline void require_cuda_device() {
  const CudaInfo info = query_cuda();
  if (info.devices.empty()) throw std::runtime_error("device 'cuda': " + info.unavailableReason);
}

}  // namespace lowrank
