// Registers svd and schur (native/napi/linalg.cc).
#pragma once
#include <napi.h>

namespace lowrank {
void register_linalg(Napi::Env env, Napi::Object exports);
}
