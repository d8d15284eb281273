// The check macro of the native test programs: CHECK(condition, printf-style message) prints the failure with its
// file and line and counts it in g_failures (g_checks counts every check); main returns non-zero when any failed.
#pragma once
#include <cstdio>

static int g_failures = 0, g_checks = 0;
#define CHECK(cond, ...)                               \
  do {                                                 \
    ++g_checks;                                        \
    if (!(cond)) {                                     \
      std::printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      std::printf(__VA_ARGS__);                        \
      std::printf("\n");                               \
      ++g_failures;                                    \
    }                                                  \
  } while (0)
