// Registers ridgeDynamics, discreteLyapunov, stationaryLimit and rotateCanonical (native/napi/partial_observation.cc).
#pragma once
#include <napi.h>

namespace lowrank {
void register_partial_observation(Napi::Env env, Napi::Object exports);
}
