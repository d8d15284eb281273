// Refuses allocations that cannot fit in this machine's memory, with a message instead of a crash.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace lowrank {

inline double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && pageSize > 0 ? double(pages) * double(pageSize) : 0.0;
}

inline std::string format_bytes(double bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

// Throws std::length_error (a RangeError in JavaScript) when `bytes` exceeds 80 % of physical memory.
inline void ensure_allocation_fits(double bytes, const char* what) {
  const double total = physical_memory_bytes();
  if (total > 0.0 && bytes > 0.8 * total)
    throw std::length_error(std::string(what) + " would need " + format_bytes(bytes) + " but this machine has " +
                            format_bytes(total) + "; use a smaller batch, fewer time steps or a smaller network");
}

}  // namespace lowrank
