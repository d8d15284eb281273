// Host emulation of the CUDA execution model for the backend's kernels (see simt.hpp). A launch runs its blocks one
// after another on the calling thread; inside a block, every CUDA thread is a fiber with its own stack,
// run in thread order until it reaches LR_SYNC or ends, so a barrier is a switch back to the scheduler and the next
// pass over the fibers releases it. Runs are deterministic. Launch limits are checked like the device checks them
// (threads per block, shared memory), so a configuration the GPU would refuse fails here too, and shared memory
// starts as NaN bytes in every block, as uninitialised as on the device.
#pragma once
#include <setjmp.h>
#include <ucontext.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace lowrank_simt {

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

inline thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;
inline thread_local unsigned char* sharedBytes = nullptr;

struct Fiber {
  ucontext_t context;  // used once, to start the fiber on its own stack
  jmp_buf resume;      // where it waits at a barrier
  std::unique_ptr<unsigned char[]> stack;
  bool started = false, done = false;
};

// The fibers of the block being run on this thread. A fiber starts through swapcontext; every later switch is a
// _setjmp / _longjmp pair, which (unlike swapcontext) does not save and restore the signal mask with a system call.
struct BlockScheduler {
  static constexpr size_t kStackBytes = 128 * 1024;
  ucontext_t schedulerContext;
  jmp_buf scheduler;
  std::vector<Fiber> fibers;  // kept between launches, stacks included
  unsigned running = 0;
  const std::function<void()>* body = nullptr;
  std::exception_ptr failure;

  static void entry() {
    BlockScheduler& s = current();
    try {
      (*s.body)();
    } catch (...) {
      if (!s.failure) s.failure = std::current_exception();
    }
    s.fibers[s.running].done = true;
    _longjmp(s.scheduler, 1);
  }

  // LOWRANK_SIMT_ORDER=reverse runs the fibers of each barrier phase last to first: a kernel whose threads read what
  // other threads wrote without a barrier in between then gives other results than in the default order.
  static bool reversed_order() {
    const char* order = std::getenv("LOWRANK_SIMT_ORDER");
    return order && std::string(order) == "reverse";
  }

  static BlockScheduler& current() {
    static thread_local BlockScheduler instance;
    return instance;
  }

  // Runs fiber t until it reaches a barrier or ends.
  void step(unsigned t) {
    Fiber& f = fibers[t];
    running = t;
    if (_setjmp(scheduler) != 0) return;
    if (f.started) _longjmp(f.resume, 1);
    f.started = true;
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack.get();
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = nullptr;
    makecontext(&f.context, &BlockScheduler::entry, 0);
    swapcontext(&schedulerContext, &f.context);
  }

  void run_block(unsigned threads, const dim3& block, const std::function<void()>& kernel) {
    body = &kernel;
    failure = nullptr;
    if (fibers.size() < threads) fibers.resize(threads);
    for (unsigned t = 0; t < threads; ++t) {
      if (!fibers[t].stack) fibers[t].stack.reset(new unsigned char[kStackBytes]);
      fibers[t].started = fibers[t].done = false;
    }
    const bool reversed = reversed_order();
    for (bool live = true; live;) {  // one pass per barrier phase
      live = false;
      for (unsigned k = 0; k < threads; ++k) {
        const unsigned t = reversed ? threads - 1 - k : k;
        if (fibers[t].done) continue;
        threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
        step(t);
        live = live || !fibers[t].done;
      }
    }
    if (failure) std::rethrow_exception(failure);
  }
};

inline void sync_block() {
  BlockScheduler& s = BlockScheduler::current();
  if (_setjmp(s.fibers[s.running].resume) == 0) _longjmp(s.scheduler, 1);
}

template <class... Params>
class Launch {
 public:
  Launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared)
      : kernel_(kernel), grid_(grid), block_(block), shared_(shared) {}

  template <class... Args>
  void operator()(Args&&... args) const {
    const unsigned threads = block_.x * block_.y * block_.z;
    if (threads == 0 || threads > 1024)
      throw std::runtime_error("emulated launch: " + std::to_string(threads) + " threads per block (1..1024)");
    if (shared_ > 48 * 1024)
      throw std::runtime_error("emulated launch: " + std::to_string(shared_) + " bytes of shared memory (48 KiB at most)");
    std::vector<unsigned char> shared(shared_ + 16);
    const std::function<void()> body = [&] { kernel_(Params(args)...); };
    for (unsigned bz = 0; bz < grid_.z; ++bz)
      for (unsigned by = 0; by < grid_.y; ++by)
        for (unsigned bx = 0; bx < grid_.x; ++bx) {
          blockIdx = dim3(bx, by, bz);
          blockDim = block_;
          gridDim = grid_;
          // shared memory starts with garbage on the device: all-ones bytes (NaN) here, so nothing relies on zeros
          std::fill(shared.begin(), shared.end(), 0xFF);
          sharedBytes = shared.data();
          BlockScheduler::current().run_block(threads, block_, body);
        }
  }

 private:
  void (*kernel_)(Params...);
  dim3 grid_, block_;
  size_t shared_;
};

template <class... Params>
Launch<Params...> launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared) {
  return Launch<Params...>(kernel, grid, block, shared);
}

}  // namespace lowrank_simt

#define LR_DEVICE inline
#define LR_KERNEL
#define LR_KERNEL_BOUNDED(threads)
#define LR_SYNC() ::lowrank_simt::sync_block()
#define LR_UNROLL
#define LR_LAUNCH(kernel, grid, block, sharedBytes) ::lowrank_simt::launch(kernel, (grid), (block), (sharedBytes))
#define LR_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(::lowrank_simt::sharedBytes)
