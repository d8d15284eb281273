#include "lapack.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <vector>

#if defined(_WIN32)
#define LOWRANK_NO_DLOPEN 1
#else
#include <dlfcn.h>
#endif

namespace lowrank {
namespace lapack {
namespace {

// The Fortran interface (LP64: 32-bit integers; gfortran's hidden character-length arguments last).
using Len = std::size_t;
using GeevFn = void (*)(const char*, const char*, const int*, double*, const int*, double*, double*, double*,
                        const int*, double*, const int*, double*, const int*, int*, Len, Len);
using GesddFn = void (*)(const char*, const int*, const int*, double*, const int*, double*, double*, const int*,
                         double*, const int*, double*, const int*, int*, int*, Len);
using GetrfFn = void (*)(const int*, const int*, double*, const int*, int*, int*);
using GetriFn = void (*)(const int*, double*, const int*, const int*, double*, const int*, int*);
using SetThreadsFn = void (*)(int);
using GetThreadsFn = int (*)();
using GetConfigFn = char* (*)();

struct Library {
  Status status;
  GeevFn geev = nullptr;
  GesddFn gesdd = nullptr;
  GetrfFn getrf = nullptr;
  GetriFn getri = nullptr;
  SetThreadsFn setThreads = nullptr;  // OpenBLAS only
  int defaultThreads = 0;             // the pool's size after loading
  int currentThreads = 0;             // as last set (under call_mutex)
};

// Where LAPACK usually is: Debian/Ubuntu's alternatives (OpenBLAS or the reference LAPACK), OpenBLAS by its own
// name, then the common macOS locations.
const char* const kCandidates[] = {
    "liblapack.so.3",
    "libopenblas.so.0",
    "libopenblas.so",
    "liblapack.so",
    "libopenblas.dylib",
    "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
    "/usr/local/opt/openblas/lib/libopenblas.dylib",
    "/System/Library/Frameworks/Accelerate.framework/Accelerate",
};

#if !defined(LOWRANK_NO_DLOPEN)
template <class F>
F symbol(void* handle, const char* name) {
  return reinterpret_cast<F>(dlsym(handle, name));
}

// OpenBLAS picks its kernels by CPU model when it loads, and Debian 12's 0.3.21 takes recent processors it does not
// know (Xeons of 2023 on) for a Prescott (SSE3), which runs dense eigensolves 2-4x slower. Unless the user set
// OPENBLAS_CORETYPE, it is set to the kernels the instruction sets allow while the library loads, then removed again
// (so that child processes, such as the python baselines of `lowrank bench`, make their own choice).
const char* kernels_for_this_cpu() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return nullptr;
}

void* open_with_kernels(const char* path) {
  const char* kernels = std::getenv("OPENBLAS_CORETYPE") ? nullptr : kernels_for_this_cpu();
  if (kernels) setenv("OPENBLAS_CORETYPE", kernels, 0);
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (kernels) unsetenv("OPENBLAS_CORETYPE");
  return handle;
}

// Opens `path` and takes its routines; on failure returns false with the reason in `why`.
bool open_library(const char* path, Library& lib, std::string& why) {
  void* handle = open_with_kernels(path);
  if (!handle) {
    const char* e = dlerror();
    why = e ? e : "cannot be opened";
    return false;
  }
  lib.geev = symbol<GeevFn>(handle, "dgeev_");
  lib.gesdd = symbol<GesddFn>(handle, "dgesdd_");
  lib.getrf = symbol<GetrfFn>(handle, "dgetrf_");
  lib.getri = symbol<GetriFn>(handle, "dgetri_");
  if (!lib.geev || !lib.gesdd || !lib.getrf || !lib.getri) {
    why = std::string(path) + " lacks dgeev_, dgesdd_, dgetrf_ or dgetri_";
    dlclose(handle);
    return false;
  }
  lib.status.loaded = true;
  lib.status.library = path;
  Dl_info where;
  if (dladdr(reinterpret_cast<void*>(lib.geev), &where) && where.dli_fname) lib.status.library = where.dli_fname;
  if (auto config = symbol<GetConfigFn>(handle, "openblas_get_config")) lib.status.config = config();
  if (const char* t = std::getenv("LOWRANK_LAPACK_THREADS")) {
    const int threads = std::atoi(t);
    if (auto set = symbol<SetThreadsFn>(handle, "openblas_set_num_threads"); set && threads > 0) set(threads);
  }
  if (auto get = symbol<GetThreadsFn>(handle, "openblas_get_num_threads")) lib.status.threads = get();
  lib.setThreads = symbol<SetThreadsFn>(handle, "openblas_set_num_threads");
  lib.defaultThreads = lib.currentThreads = lib.status.threads;
  return true;  // the handle stays open for the life of the process
}
#endif

Library load() {
  Library lib;
  const char* env = std::getenv("LOWRANK_LAPACK");
  const std::string setting = env ? env : "";
  if (setting == "off") {
    lib.status.mode = "off";
    lib.status.reason = "LOWRANK_LAPACK=off";
    return lib;
  }
#if defined(LOWRANK_NO_DLOPEN)
  lib.status.mode = setting.empty() || setting == "auto" ? "auto" : "path";
  lib.status.reason = "run-time loading of LAPACK is not supported on this platform";
#else
  std::string why;
  if (!setting.empty() && setting != "auto") {
    lib.status.mode = "path";
    if (!open_library(setting.c_str(), lib, why)) lib.status.reason = "LOWRANK_LAPACK=" + setting + ": " + why;
    return lib;
  }
  lib.status.mode = "auto";
  for (const char* path : kCandidates)
    if (open_library(path, lib, why)) return lib;
  lib.status.reason = "no LAPACK library found (tried liblapack.so.3, libopenblas.so.0 and others; on Debian or "
                      "Ubuntu: apt-get install libopenblas0)";
#endif
  return lib;
}

Library& library() {
  static Library lib = load();
  return lib;
}

// One call at a time (see lapack.hpp).
std::mutex& call_mutex() {
  static std::mutex mu;
  return mu;
}

int query_size(double value) { return std::max(1, int(value)); }

// The threads of the next call (see lapack.hpp); call_mutex must be held.
void use_threads(Library& lib, int threads, bool small) {
  const int wanted = small ? 1 : threads > 0 ? threads : lib.defaultThreads;
  if (!lib.setThreads || wanted < 1 || wanted == lib.currentThreads) return;
  lib.setThreads(wanted);
  lib.currentThreads = wanted;
}

}  // namespace

const Status& status() { return library().status; }

int geev(int n, double* a, double* wr, double* wi, double* vl, double* vr, int threads) {
  Library& lib = library();
  const char jobvl = vl ? 'V' : 'N', jobvr = vr ? 'V' : 'N';
  const int ldv = std::max(1, n);
  double dummy = 0, query = 0;
  int lwork = -1, info = 0;
  double* left = vl ? vl : &dummy;
  double* right = vr ? vr : &dummy;
  const int ldl = vl ? ldv : 1, ldr = vr ? ldv : 1;
  std::lock_guard<std::mutex> lock(call_mutex());
  use_threads(lib, threads, n < kEigenOneThreadBelow);
  lib.geev(&jobvl, &jobvr, &n, a, &ldv, wr, wi, left, &ldl, right, &ldr, &query, &lwork, &info, 1, 1);
  if (info != 0) return info;
  lwork = query_size(query);
  std::vector<double> work(static_cast<size_t>(lwork));
  lib.geev(&jobvl, &jobvr, &n, a, &ldv, wr, wi, left, &ldl, right, &ldr, work.data(), &lwork, &info, 1, 1);
  return info;
}

int gesdd(int m, int n, double* a, double* s, double* u, double* vt, int threads) {
  Library& lib = library();
  const char jobz = 'S';
  const int k = std::min(m, n), ldu = std::max(1, m), ldvt = std::max(1, k);
  std::vector<int> iwork(size_t(8) * k);
  double query = 0;
  int lwork = -1, info = 0;
  std::lock_guard<std::mutex> lock(call_mutex());
  use_threads(lib, threads, std::min(m, n) < kSvdOneThreadBelow);
  lib.gesdd(&jobz, &m, &n, a, &ldu, s, u, &ldu, vt, &ldvt, &query, &lwork, iwork.data(), &info, 1);
  if (info != 0) return info;
  lwork = query_size(query);
  std::vector<double> work(static_cast<size_t>(lwork));
  lib.gesdd(&jobz, &m, &n, a, &ldu, s, u, &ldu, vt, &ldvt, work.data(), &lwork, iwork.data(), &info, 1);
  return info;
}

int inverse(int n, double* a, int threads) {
  Library& lib = library();
  std::vector<int> pivots(size_t(std::max(1, n)));
  int info = 0;
  std::lock_guard<std::mutex> lock(call_mutex());
  use_threads(lib, threads, n < kEigenOneThreadBelow);
  lib.getrf(&n, &n, a, &n, pivots.data(), &info);
  if (info != 0) return info;
  double query = 0;
  int lwork = -1;
  lib.getri(&n, a, &n, pivots.data(), &query, &lwork, &info);
  if (info != 0) return info;
  lwork = query_size(query);
  std::vector<double> work(static_cast<size_t>(lwork));
  lib.getri(&n, a, &n, pivots.data(), work.data(), &lwork, &info);
  return info;
}

}  // namespace lapack
}  // namespace lowrank
