// Registers fitMixture and mixtureScore (native/napi/mixture.cc).
#pragma once
#include <napi.h>

namespace lowrank {
void register_mixture(Napi::Env env, Napi::Object exports);
}
