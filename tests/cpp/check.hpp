// A minimal harness for the C++ wrapper tests: CHECK, CHECK_NEAR, RUN; main returns
// check_result(). Works with and without exceptions.
#ifndef TORCHEBM_TEST_CHECK_HPP
#define TORCHEBM_TEST_CHECK_HPP

#include <cmath>
#include <cstdio>

static int check_failures = 0;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
      check_failures++;                                                               \
    }                                                                                 \
  } while (0)

#define CHECK_NEAR(actual, expected, tolerance)                                       \
  do {                                                                                \
    double actual_ = (actual), expected_ = (expected);                               \
    if (!(std::fabs(actual_ - expected_) <= (tolerance))) {                          \
      std::fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g\n", __FILE__, __LINE__, \
                   #actual, actual_, expected_);                                      \
      check_failures++;                                                               \
    }                                                                                 \
  } while (0)

#define RUN(test)                                                                     \
  do {                                                                                \
    int before_ = check_failures;                                                     \
    test();                                                                           \
    std::printf("%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #test);       \
  } while (0)

static int check_result() {
  if (check_failures) std::fprintf(stderr, "%d check(s) failed\n", check_failures);
  return check_failures ? 1 : 0;
}

#endif
