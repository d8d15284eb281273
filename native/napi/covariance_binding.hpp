// Registers crossCovariances (native/napi/covariance.cc).
#pragma once
#include <napi.h>

namespace lowrank {
void register_covariance(Napi::Env env, Napi::Object exports);
}
