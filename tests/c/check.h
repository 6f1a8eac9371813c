/* A minimal test harness for the C tests: each test is a function; failures are counted and
 * reported with file and line; main() returns nonzero when any check failed. */
#ifndef TORCHEBM_TEST_CHECK_H
#define TORCHEBM_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "torchebm.h"

static int check_failures = 0;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);     \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

#define CHECK_OK(call)                                                                   \
    do {                                                                                 \
        ebm_status status_ = (call);                                                     \
        if (status_ != EBM_OK) {                                                         \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call,    \
                    (int)status_, ebm_last_error_message());                             \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

/* The call fails with `expected`, and the message names the function and the argument. */
#define CHECK_FAILS(call, expected, function, argument)                                  \
    do {                                                                                 \
        ebm_status status_ = (call);                                                     \
        const char *message_ = ebm_last_error_message();                                 \
        if (status_ != (expected)) {                                                     \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %s\n", __FILE__,       \
                    __LINE__, #call, (int)status_, message_, #expected);                 \
            check_failures++;                                                            \
        } else if (strncmp(message_, function ": ", strlen(function) + 2) != 0 ||         \
                   strstr(message_, argument) == NULL) {                                 \
            fprintf(stderr, "%s:%d: message \"%s\" should start with \"%s: \" and name "  \
                    "\"%s\"\n", __FILE__, __LINE__, message_, function, argument);       \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

#define CHECK_NEAR(actual, expected, tolerance)                                          \
    do {                                                                                 \
        double actual_ = (actual), expected_ = (expected);                               \
        if (!(fabs(actual_ - expected_) <= (tolerance))) {                               \
            fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g (tolerance %g)\n",        \
                    __FILE__, __LINE__, #actual, actual_, expected_, (double)(tolerance)); \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

#define RUN(test)                                                                        \
    do {                                                                                 \
        int before_ = check_failures;                                                    \
        test();                                                                          \
        printf("%s %s\n", before_ == check_failures ? "ok  " : "FAIL", #test);           \
    } while (0)

#define CHECK_RESULT()                                                                   \
    (check_failures == 0 ? 0 : (fprintf(stderr, "%d check(s) failed\n", check_failures), 1))

#endif
