// Registers meanTopCosines (native/napi/neighbours.cc).
#pragma once
#include <napi.h>

namespace lowrank {
void register_neighbours(Napi::Env env, Napi::Object exports);
}
