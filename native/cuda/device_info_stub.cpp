// Linked instead of device_info.cu when the addon is built without CUDA.
#include "device_info.hpp"

namespace lowrank {

CudaInfo query_cuda() {
  CudaInfo info;
  info.unavailableReason = "this binary was built without CUDA (rebuild with `npm run build:native` where nvcc exists)";
  return info;
}

}  // namespace lowrank
