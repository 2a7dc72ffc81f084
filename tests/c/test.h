/* Shared helpers of the C tests: checks that print where they failed, and a
 * fresh data directory per test. Each test program takes a work directory. */
#ifndef SANDVOL_TEST_H
#define SANDVOL_TEST_H

#define _GNU_SOURCE
#include <sandvol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int t_failures = 0;
static int t_checks = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        t_checks++;                                                                  \
        if (!(cond)) {                                                               \
            t_failures++;                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error %d %s: %s)\n",     \
                    __FILE__, __LINE__, #cond, sandvol_last_error_code(),            \
                    sandvol_error_name(sandvol_last_error_code()),                   \
                    sandvol_last_error_message());                                   \
        }                                                                            \
    } while (0)

/* A call that must succeed; aborts the program otherwise (later steps depend on it). */
#define MUST(call)                                                                   \
    do {                                                                             \
        t_checks++;                                                                  \
        int must_rc_ = (call);                                                       \
        if (must_rc_ != SANDVOL_OK) {                                                \
            fprintf(stderr, "%s:%d: %s returned %d (%s): %s\n", __FILE__, __LINE__,  \
                    #call, must_rc_, sandvol_error_name(must_rc_),                   \
                    sandvol_last_error_message());                                   \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

/* A call that must fail with `code`, with a non-empty message matching the thread-local state. */
#define EXPECT_ERR(code, call)                                                       \
    do {                                                                             \
        t_checks++;                                                                  \
        int exp_rc_ = (call);                                                        \
        if (exp_rc_ != (code) || sandvol_last_error_code() != (code) ||             \
            sandvol_last_error_message()[0] == '\0') {                               \
            t_failures++;                                                            \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s): %s\n",    \
                    __FILE__, __LINE__, #call, exp_rc_, sandvol_error_name(exp_rc_), \
                    (code), sandvol_error_name(code), sandvol_last_error_message()); \
        }                                                                            \
    } while (0)

/* True when the last error message contains `needle`. */
static inline int msg_has(const char *needle) {
    return strstr(sandvol_last_error_message(), needle) != NULL;
}

/* Value at a JSON pointer of a library JSON result, as a string owned by the caller (free()). */
static inline char *jget(const char *json, const char *pointer) {
    char *v = NULL;
    if (sandvol_json_get(json, pointer, &v) != SANDVOL_OK) {
        fprintf(stderr, "jget(%s) failed: %s\n  in %s\n", pointer, sandvol_last_error_message(), json);
        exit(1);
    }
    char *copy = strdup(v);
    sandvol_string_free(v);
    return copy;
}

/* Whether the JSON value at `pointer` equals `want` (strings compared unquoted). */
static inline int jeq(const char *json, const char *pointer, const char *want) {
    char *v = jget(json, pointer);
    int same = strcmp(v, want) == 0;
    if (!same) fprintf(stderr, "  %s is \"%s\", expected \"%s\"\n", pointer, v, want);
    free(v);
    return same;
}

/* A fresh data directory path under the work directory given on the command line. */
static inline char *data_dir(const char *work, const char *name) {
    size_t n = strlen(work) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", work, name);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    if (system(cmd) != 0) exit(1);
    mkdir(work, 0755);
    return p;
}

static inline int finish(const char *name) {
    if (t_failures) {
        fprintf(stderr, "%s: %d of %d checks failed\n", name, t_failures, t_checks);
        return 1;
    }
    printf("%s: %d checks passed\n", name, t_checks);
    return 0;
}

#endif
