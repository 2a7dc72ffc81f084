/* Every error code is reachable from C through a real operation, with the
 * thread-local code, the stable name and a message naming the offending value;
 * the failed operation changes nothing. */
#include "test.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#define W(s) ((const uint8_t *)(s)), strlen(s)

static int covered[18];

/* Expects `code` with a message containing `needle`, and marks the code covered. */
#define EXPECT_CODE(code, needle, call)                                              \
    do {                                                                             \
        EXPECT_ERR(code, call);                                                      \
        CHECK(msg_has(needle));                                                      \
        covered[-(code)] = 1;                                                        \
    } while (0)

static const char *names[18] = {"ok",           "invalid_argument",  "not_found",        "already_exists",
                                "conflict",     "access_mode_violation", "read_only",    "permission_denied",
                                "invalid_state", "quota_exceeded",   "timeout",          "not_a_directory",
                                "is_a_directory", "directory_not_empty", "cross_device", "io",
                                "corrupt",      "internal"};

/* Another process holds the catalog's write lock (SQLite's WAL write lock, byte
 * 120 of catalog.db-shm) for longer than the engine's busy timeout. */
static void timeout_case(const char *work) {
    char *dir = data_dir(work, "timeout");
    int go[2], ready[2];
    if (pipe(go) || pipe(ready)) exit(1);
    pid_t child = fork();
    if (child == 0) {
        char c;
        close(go[1]);
        close(ready[0]);
        if (read(go[0], &c, 1) != 1) _exit(2);
        char shm[4200];
        snprintf(shm, sizeof shm, "%s/catalog.db-shm", dir);
        int fd = open(shm, O_RDWR);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 120, .l_len = 1};
        if (fd < 0 || fcntl(fd, F_SETLK, &fl) != 0) _exit(3);
        if (write(ready[1], "l", 1) != 1) _exit(4);
        if (read(go[0], &c, 1) < 0) _exit(5); /* returns 0 when the parent closes the pipe */
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    sandvol_engine *eng = NULL;
    MUST(sandvol_engine_open(dir, &eng));
    MUST(sandvol_volume_create(eng, NULL, NULL));
    char c;
    if (write(go[1], "g", 1) != 1 || read(ready[0], &c, 1) != 1) {
        fprintf(stderr, "lock holder did not start\n");
        exit(1);
    }
    sandvol_volume_options vo;
    MUST(sandvol_volume_options_init(&vo));
    vo.name = "while-locked";
    char *out = (char *)&c;
    EXPECT_CODE(SANDVOL_ERR_TIMEOUT, "catalog", sandvol_volume_create(eng, &vo, &out));
    CHECK(out == (char *)&c);
    close(go[1]);
    int st = 0;
    waitpid(child, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* The lock is gone: the same request now succeeds, so the failed one created nothing. */
    char *json = NULL;
    MUST(sandvol_volume_list(eng, NULL, 0, NULL, &json));
    CHECK(strstr(json, "while-locked") == NULL);
    sandvol_string_free(json);
    MUST(sandvol_volume_create(eng, &vo, NULL));
    MUST(sandvol_engine_close(eng));
    free(dir);
}

int main(int argc, char **argv) {
    const char *work = argc > 1 ? argv[1] : "c-test-errors";
    /* Fault injection: sandvol_stats panics inside the boundary (read once, at the first call). */
    setenv("SANDVOL_FFI_PANIC_IN", "sandvol_stats", 1);
    mkdir(work, 0755);

    for (int i = 0; i <= 17; i++) CHECK(strcmp(sandvol_error_name(-i), names[i]) == 0);
    CHECK(strcmp(sandvol_error_name(-18), "unknown") == 0);
    CHECK(strcmp(sandvol_error_name(1), "unknown") == 0);

    timeout_case(work);

    char *dir = data_dir(work, "errors");
    sandvol_engine *eng = NULL;
    MUST(sandvol_engine_open(dir, &eng));

    /* internal: a panic never crosses the boundary */
    char *stats = NULL;
    EXPECT_CODE(SANDVOL_ERR_INTERNAL, "sandvol_stats", sandvol_stats(eng, &stats));
    CHECK(stats == NULL);
    /* the engine still works after a caught panic */
    MUST(sandvol_volume_list(eng, NULL, 0, NULL, &stats));
    sandvol_string_free(stats);

    /* invalid_argument: a size without a unit, named in the message */
    sandvol_config cfg;
    MUST(sandvol_config_init(&cfg));
    cfg.cache_size = "12";
    sandvol_volume_options vo;
    MUST(sandvol_volume_options_init(&vo));
    vo.name = "data";
    vo.access_mode = "RWX";
    vo.config = &cfg;
    EXPECT_CODE(SANDVOL_ERR_INVALID_ARGUMENT, "\"12\"", sandvol_volume_create(eng, &vo, NULL));
    vo.config = NULL;
    vo.access_mode = "RWZ";
    EXPECT_CODE(SANDVOL_ERR_INVALID_ARGUMENT, "RWZ", sandvol_volume_create(eng, &vo, NULL));
    /* nothing was created by the refused requests */
    char *json = NULL;
    EXPECT_CODE(SANDVOL_ERR_NOT_FOUND, "data", sandvol_volume_get(eng, "data", &json));
    CHECK(json == NULL);

    vo.access_mode = "RWX";
    char *vol = NULL;
    MUST(sandvol_volume_create(eng, &vo, &vol));
    char *vol_id = jget(vol, "/id");
    sandvol_string_free(vol);
    /* success clears the thread's last error */
    CHECK(sandvol_last_error_code() == SANDVOL_OK);
    CHECK(strcmp(sandvol_last_error_message(), "") == 0);

    /* already_exists: the name is taken */
    EXPECT_CODE(SANDVOL_ERR_ALREADY_EXISTS, "\"data\"", sandvol_volume_create(eng, &vo, NULL));

    /* claim a sandbox and mount */
    char *sb = NULL;
    MUST(sandvol_sandbox_claim(eng, "default", NULL, &sb));
    char *sb_id = jget(sb, "/id");
    sandvol_string_free(sb);
    sandvol_mount_request mr;
    MUST(sandvol_mount_request_init(&mr));
    mr.volume = "data";
    mr.mount_point = "/mnt/data";
    char *m = NULL;
    MUST(sandvol_mount(eng, sb_id, &mr, &m));
    char *ms_id = jget(m, "/mount_session_id");
    sandvol_string_free(m);

    /* permission_denied: reserved mount point */
    mr.mount_point = "/proc/data";
    EXPECT_CODE(SANDVOL_ERR_PERMISSION, "/proc", sandvol_mount(eng, sb_id, &mr, NULL));
    /* conflict: mount point in use */
    mr.mount_point = "/mnt/data";
    EXPECT_CODE(SANDVOL_ERR_CONFLICT, "/mnt/data", sandvol_mount(eng, sb_id, &mr, NULL));
    /* conflict: delete while mounted */
    EXPECT_CODE(SANDVOL_ERR_CONFLICT, vol_id, sandvol_volume_delete(eng, vol_id, 0));

    /* conflict: if_version mismatch, content unchanged */
    char *info = NULL;
    MUST(sandvol_write_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/f.txt", W("one"), NULL, &info));
    char *version = jget(info, "/version");
    sandvol_string_free(info);
    sandvol_write_options wo;
    MUST(sandvol_write_options_init(&wo));
    wo.if_version = atoll(version) + 100;
    EXPECT_CODE(SANDVOL_ERR_CONFLICT, "version",
                sandvol_write_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/f.txt", W("two"), &wo, NULL));
    uint8_t *data = NULL;
    size_t len = 0;
    MUST(sandvol_read_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/f.txt", &data, &len));
    CHECK(len == 3 && memcmp(data, "one", 3) == 0);
    sandvol_buffer_free(data);
    free(version);

    /* not_a_directory: a file used as a directory */
    EXPECT_CODE(SANDVOL_ERR_NOT_A_DIRECTORY, "f.txt",
                sandvol_mkdir(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/f.txt/sub", 1, NULL));
    /* is_a_directory: reading a directory */
    MUST(sandvol_mkdir(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/dir/inner", 1, NULL));
    EXPECT_CODE(SANDVOL_ERR_IS_A_DIRECTORY, "/mnt/data/dir",
                sandvol_read_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/dir", &data, &len));
    /* directory_not_empty: non-recursive remove */
    EXPECT_CODE(SANDVOL_ERR_DIRECTORY_NOT_EMPTY, "/mnt/data/dir",
                sandvol_remove(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/dir", 0));
    int exists = -1;
    MUST(sandvol_exists(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/dir/inner", &exists));
    CHECK(exists == 1);
    /* cross_device: rename from a mount to the scratch volume */
    EXPECT_CODE(SANDVOL_ERR_CROSS_DEVICE, "f.txt",
                sandvol_rename(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/f.txt", "/tmp/f.txt", NULL));
    MUST(sandvol_exists(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/f.txt", &exists));
    CHECK(exists == 1);
    /* not_found: a missing file, named */
    EXPECT_CODE(SANDVOL_ERR_NOT_FOUND, "/mnt/data/missing.txt",
                sandvol_read_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/missing.txt", &data, &len));

    /* quota_exceeded: a write past size_limit changes nothing */
    sandvol_volume_options qo;
    MUST(sandvol_volume_options_init(&qo));
    qo.name = "small";
    qo.size_limit_bytes = 100;
    MUST(sandvol_volume_create(eng, &qo, NULL));
    char big[1000];
    memset(big, 'x', sizeof big);
    EXPECT_CODE(SANDVOL_ERR_QUOTA, "big.bin",
                sandvol_write_file(eng, SANDVOL_TARGET_VOLUME, "small", "/big.bin", (const uint8_t *)big, sizeof big,
                                   NULL, NULL));
    MUST(sandvol_exists(eng, SANDVOL_TARGET_VOLUME, "small", "/big.bin", &exists));
    CHECK(exists == 0);
    MUST(sandvol_volume_get(eng, "small", &json));
    CHECK(jeq(json, "/used_bytes", "0"));
    sandvol_string_free(json);

    /* access_mode_violation and read_only on a ROX volume */
    sandvol_volume_options ro;
    MUST(sandvol_volume_options_init(&ro));
    ro.name = "shared-ro";
    ro.access_mode = "ROX";
    MUST(sandvol_volume_create(eng, &ro, NULL));
    MUST(sandvol_write_file(eng, SANDVOL_TARGET_VOLUME, "shared-ro", "/ds.txt", W("dataset"), NULL, NULL));
    mr.volume = "shared-ro";
    mr.mount_point = "/ro";
    mr.read_only = 0;
    EXPECT_CODE(SANDVOL_ERR_ACCESS_MODE, "ROX", sandvol_mount(eng, sb_id, &mr, NULL));
    mr.read_only = -1;
    MUST(sandvol_mount(eng, sb_id, &mr, NULL));
    EXPECT_CODE(SANDVOL_ERR_READ_ONLY, "/ro",
                sandvol_write_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/ro/ds.txt", W("changed"), NULL, NULL));
    MUST(sandvol_read_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/ro/ds.txt", &data, &len));
    CHECK(len == 7 && memcmp(data, "dataset", 7) == 0);
    sandvol_buffer_free(data);

    /* invalid_state: unmount a released session; pause a paused sandbox */
    MUST(sandvol_unmount(eng, sb_id, vol_id, ms_id, NULL));
    EXPECT_CODE(SANDVOL_ERR_INVALID_STATE, ms_id, sandvol_unmount(eng, sb_id, vol_id, ms_id, NULL));
    MUST(sandvol_sandbox_pause(eng, sb_id, NULL));
    EXPECT_CODE(SANDVOL_ERR_INVALID_STATE, sb_id, sandvol_sandbox_pause(eng, sb_id, NULL));
    MUST(sandvol_sandbox_release(eng, sb_id, NULL));
    MUST(sandvol_engine_close(eng));

    /* io: the data directory cannot be created */
    sandvol_engine *bad = NULL;
    EXPECT_CODE(SANDVOL_ERR_IO, "/dev/null/sandvol", sandvol_engine_open("/dev/null/sandvol", &bad));
    CHECK(bad == NULL);

    /* corrupt: catalog.db is not a database */
    char *cdir = data_dir(work, "corrupt");
    mkdir(cdir, 0755);
    char cpath[4200];
    snprintf(cpath, sizeof cpath, "%s/catalog.db", cdir);
    FILE *f = fopen(cpath, "w");
    for (int i = 0; i < 512; i++) fputs("this is not a database!\n", f);
    fclose(f);
    EXPECT_CODE(SANDVOL_ERR_CORRUPT, "catalog", sandvol_engine_open(cdir, &bad));
    CHECK(bad == NULL);

    for (int i = 1; i <= 17; i++) {
        if (!covered[i]) fprintf(stderr, "error code %d (%s) was not reached\n", -i, names[i]);
        CHECK(covered[i]);
    }
    free(vol_id);
    free(sb_id);
    free(ms_id);
    free(dir);
    free(cdir);
    return finish("test_errors");
}
