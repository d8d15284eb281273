// Registers predictiveInformation (native/napi/predictive_information.cc).
#pragma once
#include <napi.h>

namespace lowrank {
void register_predictive_information(Napi::Env env, Napi::Object exports);
}
