// Registers svd and schur (native/napi/linalg.cc), and the dense eigendecomposition that analysis.cc registers as
// dynamics.eigen.
#pragma once
#include <napi.h>

namespace lowrank {
void register_linalg(Napi::Env env, Napi::Object exports);

// eigen(a: Float64Array [n * n], row-major, { n, right, left, threads? }) -> Promise<{ count, dim, re, im, rightRe?,
// rightIm?, leftRe?, leftIm?, rcond? }> (the shape of the dynamics' eigenpairs, for one matrix), on a worker thread;
// threads: LAPACK's for this call (0 or absent: its default).
Napi::Value dense_eigen(const Napi::CallbackInfo& info);
}
