// Registers latentVelocity, latentRoots, gaussHermite and transferMoments (native/napi/latent.cc).
#pragma once
#include <napi.h>

namespace lowrank {
void register_latent(Napi::Env env, Napi::Object exports);
}
