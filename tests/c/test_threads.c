/* Many pthreads hammering one engine handle: private files, a shared
 * compare-and-swap counter (no lost update), one file handle written at
 * disjoint offsets, and thread-local error state that never leaks between
 * threads. */
#include "test.h"
#include <pthread.h>
#include <stdint.h>

#define THREADS 6
#define ITERS 12
#define INCREMENTS 4
#define CHUNK 64

static sandvol_engine *eng;
static char *sb_id;
static sandvol_file *shared_file;
static int thread_failures[THREADS];

static int counter_value(uint64_t *version) {
    uint8_t *data = NULL;
    size_t len = 0;
    char *info = NULL;
    if (sandvol_stat(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/shared/counter", &info) != SANDVOL_OK) return -1;
    char *v = NULL;
    sandvol_json_get(info, "/version", &v);
    *version = strtoull(v, NULL, 10);
    sandvol_string_free(v);
    sandvol_string_free(info);
    if (sandvol_read_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/shared/counter", &data, &len) != SANDVOL_OK)
        return -1;
    char tmp[32] = {0};
    memcpy(tmp, data, len < 31 ? len : 31);
    sandvol_buffer_free(data);
    return atoi(tmp);
}

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    int bad = 0;
    char path[64], body[64], missing[64];
    for (int i = 0; i < ITERS; i++) {
        snprintf(path, sizeof path, "/t%d/f%d.txt", id, i % 3);
        int n = snprintf(body, sizeof body, "thread %d iteration %d", id, i);
        if (sandvol_write_file(eng, SANDVOL_TARGET_VOLUME, "shared", path, (const uint8_t *)body, (size_t)n, NULL,
                               NULL) != SANDVOL_OK)
            bad++;
        uint8_t *data = NULL;
        size_t len = 0;
        char spath[80];
        snprintf(spath, sizeof spath, "/mnt/shared%s", path);
        if (sandvol_read_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, spath, &data, &len) != SANDVOL_OK ||
            len != (size_t)n || memcmp(data, body, len) != 0)
            bad++;
        sandvol_buffer_free(data);
        /* an error on this thread names this thread's path, whatever the others do */
        snprintf(missing, sizeof missing, "/nope-%d-%d", id, i);
        if (sandvol_stat(eng, SANDVOL_TARGET_VOLUME, "shared", missing, (char **)&data) != SANDVOL_ERR_NOT_FOUND ||
            sandvol_last_error_code() != SANDVOL_ERR_NOT_FOUND || !strstr(sandvol_last_error_message(), missing))
            bad++;
        char *json = NULL;
        if (sandvol_list_dir(eng, SANDVOL_TARGET_VOLUME, "shared", "/", 0, NULL, &json) != SANDVOL_OK) bad++;
        sandvol_string_free(json);
        if (sandvol_volume_get(eng, "shared", &json) != SANDVOL_OK) bad++;
        sandvol_string_free(json);
        if (sandvol_last_error_code() != SANDVOL_OK) bad++;
    }
    /* compare-and-swap increments of one counter */
    for (int done = 0; done < INCREMENTS;) {
        uint64_t version = 0;
        int v = counter_value(&version);
        if (v < 0) {
            bad++;
            break;
        }
        char next[32];
        int n = snprintf(next, sizeof next, "%d", v + 1);
        sandvol_write_options wo;
        sandvol_write_options_init(&wo);
        wo.if_version = (int64_t)version;
        int rc = sandvol_write_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/shared/counter", (const uint8_t *)next,
                                    (size_t)n, &wo, NULL);
        if (rc == SANDVOL_OK)
            done++;
        else if (rc != SANDVOL_ERR_CONFLICT && rc != SANDVOL_ERR_NOT_FOUND) {
            bad++;
            break;
        }
    }
    /* one shared handle, disjoint ranges */
    uint8_t chunk[CHUNK];
    memset(chunk, 'a' + id, sizeof chunk);
    size_t written = 0;
    if (sandvol_file_write_at(shared_file, (uint64_t)id * CHUNK, chunk, sizeof chunk, &written) != SANDVOL_OK ||
        written != CHUNK)
        bad++;
    thread_failures[id] = bad;
    return NULL;
}

int main(int argc, char **argv) {
    const char *work = argc > 1 ? argv[1] : "c-test-threads";
    char *dir = data_dir(work, "threads");
    MUST(sandvol_engine_open(dir, &eng));
    sandvol_volume_options vo;
    MUST(sandvol_volume_options_init(&vo));
    vo.name = "shared";
    vo.access_mode = "RWX";
    MUST(sandvol_volume_create(eng, &vo, NULL));
    char *sb = NULL;
    MUST(sandvol_sandbox_claim(eng, "default", NULL, &sb));
    sb_id = jget(sb, "/id");
    sandvol_string_free(sb);
    sandvol_mount_request mr;
    MUST(sandvol_mount_request_init(&mr));
    mr.volume = "shared";
    mr.mount_point = "/mnt/shared";
    MUST(sandvol_mount(eng, sb_id, &mr, NULL));
    MUST(sandvol_write_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/shared/counter", (const uint8_t *)"0", 1, NULL,
                            NULL));
    MUST(sandvol_file_open(eng, SANDVOL_TARGET_VOLUME, "shared", "/handle.bin", "w+", &shared_file));

    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        if (thread_failures[i]) fprintf(stderr, "thread %d: %d failures\n", i, thread_failures[i]);
        CHECK(thread_failures[i] == 0);
    }

    uint64_t version = 0;
    CHECK(counter_value(&version) == THREADS * INCREMENTS); /* no lost update */
    MUST(sandvol_file_close(shared_file));
    uint8_t *data = NULL;
    size_t len = 0;
    MUST(sandvol_read_file(eng, SANDVOL_TARGET_VOLUME, "shared", "/handle.bin", &data, &len));
    CHECK(len == THREADS * CHUNK);
    for (size_t i = 0; i < len; i++)
        if (data[i] != 'a' + (int)(i / CHUNK)) {
            CHECK(!"handle.bin has a byte from the wrong thread");
            break;
        }
    sandvol_buffer_free(data);
    char *fsck = NULL;
    MUST(sandvol_fsck(eng, &fsck));
    CHECK(jeq(fsck, "/clean", "true"));
    sandvol_string_free(fsck);
    MUST(sandvol_sandbox_release(eng, sb_id, NULL));
    MUST(sandvol_engine_close(eng));
    free(sb_id);
    free(dir);
    return finish("test_threads");
}
