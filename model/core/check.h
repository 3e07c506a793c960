// Invariants inside the engine (not user input): an assert that stays on in release builds.
#pragma once
#include <cstdio>
#include <cstdlib>

#define PLUMA_CHECK(cond, msg)                                                          \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "pluma: internal check failed at %s:%d: %s (%s)\n", __FILE__, \
                   __LINE__, #cond, msg);                                               \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)
