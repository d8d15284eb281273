// A small persistent pool: run(workers, fn) calls fn(0) on the calling thread and fn(1..workers-1) on pool threads,
// and returns when all are done. Threads are created once per backend instead of once per call.
// Creating the threads can fail (the system's thread or memory limits): the constructor then stops and joins the
// threads it started and throws std::range_error naming how many it could start, so nothing hangs or aborts.
#pragma once
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lowrank {

// The most threads one pool (one model, one analysis call) may ask for; the TypeScript layer checks the same cap
// (MAX_THREADS in ts/core/validate.ts) before it calls in.
constexpr int kMaxThreads = 1024;

class ThreadPool {
 public:
  explicit ThreadPool(int threads) {
    if (threads > kMaxThreads) {
      throw std::range_error("threads must be at most " + std::to_string(kMaxThreads) + "; got " + std::to_string(threads));
    }
    try {
      threads_.reserve(size_t(std::max(0, threads - 1)));
      for (int i = 1; i < threads; ++i) threads_.emplace_back([this, i] { loop(i); });
    } catch (const std::exception& e) {
      const size_t started = threads_.size();
      stop();
      throw std::range_error("could not start " + std::to_string(threads) + " threads (started " +
                             std::to_string(started + 1) + "): " + e.what() + "; use fewer threads");
    }
  }
  ~ThreadPool() { stop(); }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(threads_.size()) + 1; }

  // fn must not throw (callers catch inside it).
  void run(int workers, const std::function<void(int)>& fn) {
    workers = std::max(1, std::min(workers, size()));
    if (workers == 1) {
      fn(0);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &fn;
      active_ = workers;
      pending_ = workers - 1;
      ++generation_;
    }
    start_.notify_all();
    fn(0);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
  }

  // run(), for an fn that may throw: every worker finishes, then the first exception is rethrown here.
  void run_catching(int workers, const std::function<void(int)>& fn) {
    std::exception_ptr failure;
    std::mutex failureMu;
    run(workers, [&](int w) {
      try {
        fn(w);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failureMu);
        if (!failure) failure = std::current_exception();
      }
    });
    if (failure) std::rethrow_exception(failure);
  }

 private:
  // Wakes every started thread with stopping_ set and joins it (they may be waiting for a job or about to wait).
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    start_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  void loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int)>* job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        if (index >= active_) continue;
        job = job_;
      }
      (*job)(index);
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable start_, done_;
  const std::function<void(int)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int active_ = 0, pending_ = 0;
  bool stopping_ = false;
};

}  // namespace lowrank
