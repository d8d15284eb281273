// LAPACK loaded at run time (dlopen), for the dense eigenproblems and SVDs of large matrices: no build or link
// dependency, and a machine without LAPACK falls back to Eigen's own solvers. Which library is used:
//   LOWRANK_LAPACK unset or 'auto': the first of liblapack.so.3, libopenblas.so.0, ... that loads and has every
//                                   routine below (Debian/Ubuntu: libopenblas0 or liblapack3);
//   LOWRANK_LAPACK=off:              none (Eigen);
//   LOWRANK_LAPACK=<path>:           that library only (Eigen, with the reason, when it cannot be used).
// The choice is made once per process, at the first call. OPENBLAS_CORETYPE, when unset, is set to SkylakeX (AVX-512)
// or Haswell (AVX2) while the library loads (lapack.cpp says why).
//
// Threads: an OpenBLAS found here keeps its own thread pool, of OpenBLAS's default size (OPENBLAS_NUM_THREADS, else
// the hardware threads) unless LOWRANK_LAPACK_THREADS says otherwise; each routine below takes the number of threads
// for that call (0: that default), set with openblas_set_num_threads before the call (ignored by other libraries),
// except that small problems run on one thread: eigenproblems (and inverses) of n < kEigenOneThreadBelow, SVDs of
// min(m, n) < kSvdOneThreadBelow. Measured on a 2-core machine (docs/bench.md): there a second thread makes dgeev
// slower up to n = 512 and faster from n = 768 on, dgesdd slower at 256 and faster at 512, when the machine is quiet;
// and when another process shares the cores, OpenBLAS's threads, which wait for each other at every one of the many
// small BLAS calls of an eigensolve, make it several times slower.
// Calls are serialised (one at a time, each using that pool), so when the engine's own threads decompose many
// matrices at once (linearize over many states) the cores are not oversubscribed, and a multi-threaded OpenBLAS is
// never entered from several threads at once.
#pragma once
#include <string>

namespace lowrank {
namespace lapack {

constexpr int kEigenOneThreadBelow = 640;
constexpr int kSvdOneThreadBelow = 384;

struct Status {
  bool loaded = false;
  std::string mode;     // 'auto', 'off' or 'path' (LOWRANK_LAPACK)
  std::string library;  // the file loaded, when loaded
  std::string config;   // OpenBLAS's build description (openblas_get_config), when the library has it
  int threads = 0;      // BLAS threads for one call alone (0 when unknown: not OpenBLAS)
  std::string reason;   // why none is used, when none is
};

// Loads the library on the first call (thread-safe) and says what was found.
const Status& status();
inline bool available() { return status().loaded; }

// The routines below return LAPACK's info (0: success) and must only be called when available(). Matrices are
// column-major with leading dimension equal to their row count; `a` is overwritten.

// dgeev: eigenvalues (wr + i wi) and, for each of vl and vr that is not null, the left or right eigenvectors in
// LAPACK's real packing (a complex pair j, j+1 is v(:, j) +- i v(:, j+1); a left vector u satisfies u^H A = lambda u^H).
// Balances the matrix first, as numpy.linalg.eig does.
int geev(int n, double* a, double* wr, double* wi, double* vl, double* vr, int threads = 0);

// dgesdd, thin: a (m x n) = u (m x k) diag(s) vt (k x n), k = min(m, n).
int gesdd(int m, int n, double* a, double* s, double* u, double* vt, int threads = 0);

// dgetrf + dgetri: a (n x n) replaced by its inverse; info > 0 when it is singular.
int inverse(int n, double* a, int threads = 0);

}  // namespace lapack
}  // namespace lowrank
