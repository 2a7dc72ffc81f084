/* NULL pointers, non-UTF-8 strings, absurd lengths and uninitialized option
 * structs on every function taking a pointer: each gives
 * SANDVOL_ERR_INVALID_ARGUMENT naming the argument, leaves out-parameters
 * untouched, and changes nothing. */
#include "test.h"
#include <stdint.h>

#define W(s) ((const uint8_t *)(s)), strlen(s)
#define SB SANDVOL_TARGET_SANDBOX
#define VOL SANDVOL_TARGET_VOLUME

static const char BAD[] = {'b', 'a', 'd', (char)0xff, (char)0xfe, 0}; /* not UTF-8 */
static char *OUT_SENTINEL = (char *)"untouched";

/* Expects invalid_argument with `needle` in the message. */
#define BADARG(needle, call)                                                         \
    do {                                                                             \
        EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, call);                              \
        if (!msg_has(needle)) {                                                      \
            t_failures++;                                                            \
            fprintf(stderr, "%s:%d: message of %s lacks \"%s\": %s\n", __FILE__,     \
                    __LINE__, #call, needle, sandvol_last_error_message());          \
        }                                                                            \
    } while (0)

static char *snapshot_state(sandvol_engine *eng, const char *sb_id) {
    /* Everything a bad call could have changed, as one string. */
    char *vols = NULL, *sbs = NULL, *mounts = NULL, *dir = NULL, *changes = NULL;
    MUST(sandvol_volume_list(eng, NULL, 0, NULL, &vols));
    MUST(sandvol_sandbox_list(eng, &sbs));
    MUST(sandvol_mount_status(eng, sb_id, &mounts));
    MUST(sandvol_list_dir(eng, VOL, "args", "/", 0, NULL, &dir));
    MUST(sandvol_volume_changes(eng, "args", 0, 0, &changes));
    size_t n = strlen(vols) + strlen(sbs) + strlen(mounts) + strlen(dir) + strlen(changes) + 8;
    char *all = malloc(n);
    snprintf(all, n, "%s|%s|%s|%s|%s", vols, sbs, mounts, dir, changes);
    sandvol_string_free(vols);
    sandvol_string_free(sbs);
    sandvol_string_free(mounts);
    sandvol_string_free(dir);
    sandvol_string_free(changes);
    return all;
}

int main(int argc, char **argv) {
    const char *work = argc > 1 ? argv[1] : "c-test-args";
    char *dir = data_dir(work, "args");
    sandvol_engine *eng = NULL;
    char *out = OUT_SENTINEL;
    uint8_t *bytes = (uint8_t *)OUT_SENTINEL;
    size_t len = 12345;
    int flag = 77;
    uint64_t u64 = 99;
    sandvol_engine *eout = (sandvol_engine *)OUT_SENTINEL;
    sandvol_file *fout = (sandvol_file *)OUT_SENTINEL;

    /* engine */
    BADARG("out_engine", sandvol_engine_open(dir, NULL));
    BADARG("path", sandvol_engine_open(BAD, &eout));
    BADARG("UTF-8", sandvol_engine_open(BAD, &eout));
    BADARG("out_engine", sandvol_engine_open_with(dir, NULL, NULL));
    BADARG("path", sandvol_engine_open_with(BAD, NULL, &eout));
    /* "" would have opened the working directory */
    BADARG("data directory \"\" is empty", sandvol_engine_open("", &eout));
    BADARG("data directory \"\" is empty", sandvol_engine_open_with("", NULL, &eout));
    if (access("catalog.db", F_OK) == 0) {
        t_failures++;
        fprintf(stderr, "%s:%d: an empty path created catalog.db in the working directory\n", __FILE__, __LINE__);
    }
    sandvol_engine_options eo;
    memset(&eo, 0, sizeof eo); /* not initialized with _init */
    BADARG("_init", sandvol_engine_open_with(dir, &eo, &eout));
    MUST(sandvol_engine_options_init(&eo));
    eo.size = sizeof eo + 8; /* a newer header than this library */
    BADARG("size", sandvol_engine_open_with(dir, &eo, &eout));
    MUST(sandvol_engine_options_init(&eo));
    eo.durability = BAD;
    BADARG("durability", sandvol_engine_open_with(dir, &eo, &eout));
    eo.durability = NULL;
    eo.busy_timeout_ms = -5;
    BADARG("busy_timeout_ms", sandvol_engine_open_with(dir, &eo, &eout));
    eo.busy_timeout_ms = 2147483648LL; /* SQLite takes an int of milliseconds */
    BADARG("busy_timeout 2147483648 ms", sandvol_engine_open_with(dir, &eo, &eout));
    eo.busy_timeout_ms = SANDVOL_UNSET;
    eo.reserved_prefixes_len = 2; /* with a NULL array */
    BADARG("reserved_prefixes", sandvol_engine_open_with(dir, &eo, &eout));
    const char *prefixes[] = {"/ok", BAD};
    eo.reserved_prefixes = prefixes;
    BADARG("reserved_prefixes[1]", sandvol_engine_open_with(dir, &eo, &eout));
    eo.reserved_prefixes_len = SIZE_MAX;
    BADARG("absurd", sandvol_engine_open_with(dir, &eo, &eout));
    CHECK(eout == (sandvol_engine *)OUT_SENTINEL);
    /* none of the refused opens created the data directory */
    struct stat st;
    CHECK(stat(dir, &st) != 0);

    MUST(sandvol_engine_open(dir, &eng));
    BADARG("engine", sandvol_engine_data_dir(NULL, &out));
    BADARG("out_path", sandvol_engine_data_dir(eng, NULL));
    BADARG("engine", sandvol_stats(NULL, &out));
    BADARG("out_json", sandvol_stats(eng, NULL));
    BADARG("engine", sandvol_gc(NULL, -1, &out));
    BADARG("grace_ms", sandvol_gc(eng, -5, &out));
    BADARG("engine", sandvol_fsck(NULL, &out));
    BADARG("out_json", sandvol_fsck(eng, NULL));
    CHECK(out == OUT_SENTINEL);

    /* option struct initializers */
    BADARG("opts", sandvol_config_init(NULL));
    BADARG("opts", sandvol_engine_options_init(NULL));
    BADARG("opts", sandvol_volume_options_init(NULL));
    BADARG("opts", sandvol_volume_update_options_init(NULL));
    BADARG("opts", sandvol_mount_request_init(NULL));
    BADARG("opts", sandvol_claim_options_init(NULL));
    BADARG("opts", sandvol_write_options_init(NULL));

    /* json helper */
    BADARG("json", sandvol_json_get(NULL, "/id", &out));
    BADARG("pointer", sandvol_json_get("{}", NULL, &out));
    BADARG("out_value", sandvol_json_get("{}", "/id", NULL));
    BADARG("json", sandvol_json_get(BAD, "/id", &out));
    BADARG("pointer", sandvol_json_get("{}", BAD, &out));
    BADARG("not JSON", sandvol_json_get("{nope", "/id", &out));
    CHECK(out == OUT_SENTINEL);

    /* the fixture every later check compares against */
    sandvol_volume_options vo;
    MUST(sandvol_volume_options_init(&vo));
    vo.name = "args";
    vo.access_mode = "RWX";
    char *vol = NULL;
    MUST(sandvol_volume_create(eng, &vo, &vol));
    char *vol_id = jget(vol, "/id");
    sandvol_string_free(vol);
    MUST(sandvol_write_file(eng, VOL, "args", "/keep.txt", W("keep"), NULL, NULL));
    MUST(sandvol_snapshot_create(eng, "args", "s1", &out));
    char *snap_id = jget(out, "/id");
    sandvol_string_free(out);
    out = OUT_SENTINEL;
    char *sb = NULL;
    MUST(sandvol_sandbox_claim(eng, "default", NULL, &sb));
    char *sb_id = jget(sb, "/id");
    sandvol_string_free(sb);
    sandvol_mount_request mr;
    MUST(sandvol_mount_request_init(&mr));
    mr.volume = "args";
    mr.mount_point = "/mnt/args";
    char *m = NULL;
    MUST(sandvol_mount(eng, sb_id, &mr, &m));
    char *ms_id = jget(m, "/id");
    sandvol_string_free(m);
    char *before = snapshot_state(eng, sb_id);

    /* volumes */
    BADARG("engine", sandvol_volume_create(NULL, &vo, &out));
    vo.name = BAD;
    BADARG("name", sandvol_volume_create(eng, &vo, &out));
    vo.name = "v2";
    vo.labels_json = "[1,2]";
    BADARG("labels_json", sandvol_volume_create(eng, &vo, &out));
    vo.labels_json = BAD;
    BADARG("labels_json", sandvol_volume_create(eng, &vo, &out));
    vo.labels_json = NULL;
    vo.size_limit = "1G";
    vo.size_limit_bytes = 5;
    BADARG("size_limit", sandvol_volume_create(eng, &vo, &out));
    vo.size_limit = NULL;
    vo.size_limit_bytes = -7;
    BADARG("size_limit_bytes", sandvol_volume_create(eng, &vo, &out));
    vo.size_limit_bytes = SANDVOL_UNSET;
    sandvol_config cfg;
    MUST(sandvol_config_init(&cfg));
    cfg.buffer_size = BAD;
    vo.config = &cfg;
    BADARG("buffer_size", sandvol_volume_create(eng, &vo, &out));
    MUST(sandvol_config_init(&cfg));
    cfg.writeback = 2;
    BADARG("writeback", sandvol_volume_create(eng, &vo, &out));
    MUST(sandvol_config_init(&cfg));
    cfg.size = 0;
    BADARG("config", sandvol_volume_create(eng, &vo, &out));
    vo.config = NULL;
    vo.size = 3;
    BADARG("_init", sandvol_volume_create(eng, &vo, &out));
    MUST(sandvol_volume_options_init(&vo));
    BADARG("engine", sandvol_volume_get(NULL, "args", &out));
    BADARG("volume_ref", sandvol_volume_get(eng, NULL, &out));
    BADARG("volume_ref", sandvol_volume_get(eng, BAD, &out));
    BADARG("out_json", sandvol_volume_get(eng, "args", NULL));
    BADARG("engine", sandvol_volume_list(NULL, NULL, 0, NULL, &out));
    BADARG("labels_json", sandvol_volume_list(eng, BAD, 0, NULL, &out));
    BADARG("labels_json", sandvol_volume_list(eng, "not json", 0, NULL, &out));
    BADARG("cursor", sandvol_volume_list(eng, NULL, 0, BAD, &out));
    BADARG("out_json", sandvol_volume_list(eng, NULL, 0, NULL, NULL));
    sandvol_volume_update_options uo;
    MUST(sandvol_volume_update_options_init(&uo));
    uo.labels_json = "{\"a\":\"b\"}";
    BADARG("engine", sandvol_volume_update(NULL, "args", &uo, &out));
    BADARG("volume_ref", sandvol_volume_update(eng, NULL, &uo, &out));
    BADARG("volume_ref", sandvol_volume_update(eng, BAD, &uo, &out));
    uo.clear_size_limit = 1;
    uo.size_limit = "2G";
    BADARG("clear_size_limit", sandvol_volume_update(eng, "args", &uo, &out));
    uo.size = 0;
    BADARG("update", sandvol_volume_update(eng, "args", &uo, &out));
    BADARG("engine", sandvol_volume_delete(NULL, "args", 1));
    BADARG("volume_ref", sandvol_volume_delete(eng, NULL, 1));
    BADARG("volume_ref", sandvol_volume_delete(eng, BAD, 1));
    BADARG("engine", sandvol_volume_changes(NULL, "args", 0, 0, &out));
    BADARG("volume_ref", sandvol_volume_changes(eng, NULL, 0, 0, &out));
    BADARG("volume_ref", sandvol_volume_changes(eng, BAD, 0, 0, &out));
    BADARG("out_json", sandvol_volume_changes(eng, "args", 0, 0, NULL));

    /* snapshots */
    BADARG("engine", sandvol_snapshot_create(NULL, "args", "s2", &out));
    BADARG("volume_ref", sandvol_snapshot_create(eng, NULL, "s2", &out));
    BADARG("volume_ref", sandvol_snapshot_create(eng, BAD, "s2", &out));
    BADARG("name", sandvol_snapshot_create(eng, "args", BAD, &out));
    BADARG("engine", sandvol_snapshot_list(NULL, "args", &out));
    BADARG("volume_ref", sandvol_snapshot_list(eng, NULL, &out));
    BADARG("volume_ref", sandvol_snapshot_list(eng, BAD, &out));
    BADARG("out_json", sandvol_snapshot_list(eng, "args", NULL));
    BADARG("engine", sandvol_snapshot_get(NULL, snap_id, &out));
    BADARG("snapshot_id", sandvol_snapshot_get(eng, NULL, &out));
    BADARG("snapshot_id", sandvol_snapshot_get(eng, BAD, &out));
    BADARG("out_json", sandvol_snapshot_get(eng, snap_id, NULL));
    BADARG("engine", sandvol_snapshot_restore(NULL, snap_id, &out));
    BADARG("snapshot_id", sandvol_snapshot_restore(eng, NULL, &out));
    BADARG("snapshot_id", sandvol_snapshot_restore(eng, BAD, &out));
    BADARG("engine", sandvol_snapshot_fork(NULL, snap_id, NULL, &out));
    BADARG("snapshot_id", sandvol_snapshot_fork(eng, NULL, NULL, &out));
    BADARG("snapshot_id", sandvol_snapshot_fork(eng, BAD, NULL, &out));
    vo.name = BAD;
    BADARG("name", sandvol_snapshot_fork(eng, snap_id, &vo, &out));
    MUST(sandvol_volume_options_init(&vo));
    BADARG("engine", sandvol_snapshot_delete(NULL, snap_id));
    BADARG("snapshot_id", sandvol_snapshot_delete(eng, NULL));
    BADARG("snapshot_id", sandvol_snapshot_delete(eng, BAD));

    /* sandboxes */
    BADARG("engine", sandvol_sandbox_claim(NULL, "default", NULL, &out));
    BADARG("template_name", sandvol_sandbox_claim(eng, NULL, NULL, &out));
    BADARG("template_name", sandvol_sandbox_claim(eng, BAD, NULL, &out));
    sandvol_claim_options co;
    MUST(sandvol_claim_options_init(&co));
    co.mounts_len = 1; /* mounts is NULL */
    BADARG("mounts", sandvol_sandbox_claim(eng, "default", &co, &out));
    sandvol_mount_request boot[2];
    MUST(sandvol_mount_request_init(&boot[0]));
    MUST(sandvol_mount_request_init(&boot[1]));
    boot[0].volume = "args";
    boot[0].mount_point = "/a";
    boot[1].volume = "args";
    boot[1].mount_point = BAD;
    co.mounts = boot;
    co.mounts_len = 2;
    BADARG("mounts[1].mount_point", sandvol_sandbox_claim(eng, "default", &co, &out));
    boot[1].mount_point = NULL;
    BADARG("mounts[1].mount_point", sandvol_sandbox_claim(eng, "default", &co, &out));
    boot[1].mount_point = "/b";
    boot[1].size = 0;
    BADARG("mounts[1]", sandvol_sandbox_claim(eng, "default", &co, &out));
    MUST(sandvol_mount_request_init(&boot[1]));
    co.mounts_len = SIZE_MAX;
    BADARG("absurd", sandvol_sandbox_claim(eng, "default", &co, &out));
    co.mounts_len = 0;
    co.group = BAD;
    BADARG("group", sandvol_sandbox_claim(eng, "default", &co, &out));
    co.group = NULL;
    co.mount_wait_timeout_ms = -3;
    BADARG("mount_wait_timeout_ms", sandvol_sandbox_claim(eng, "default", &co, &out));
    BADARG("engine", sandvol_sandbox_get(NULL, sb_id, &out));
    BADARG("sandbox_id", sandvol_sandbox_get(eng, NULL, &out));
    BADARG("sandbox_id", sandvol_sandbox_get(eng, BAD, &out));
    BADARG("out_json", sandvol_sandbox_get(eng, sb_id, NULL));
    BADARG("engine", sandvol_sandbox_list(NULL, &out));
    BADARG("out_json", sandvol_sandbox_list(eng, NULL));
    BADARG("engine", sandvol_sandbox_pause(NULL, sb_id, &out));
    BADARG("sandbox_id", sandvol_sandbox_pause(eng, NULL, &out));
    BADARG("sandbox_id", sandvol_sandbox_pause(eng, BAD, &out));
    BADARG("engine", sandvol_sandbox_resume(NULL, sb_id, &out));
    BADARG("sandbox_id", sandvol_sandbox_resume(eng, NULL, &out));
    BADARG("sandbox_id", sandvol_sandbox_resume(eng, BAD, &out));
    BADARG("engine", sandvol_sandbox_release(NULL, sb_id, &out));
    BADARG("sandbox_id", sandvol_sandbox_release(eng, NULL, &out));
    BADARG("sandbox_id", sandvol_sandbox_release(eng, BAD, &out));

    /* mounts */
    mr.mount_point = "/mnt/other";
    BADARG("engine", sandvol_mount(NULL, sb_id, &mr, &out));
    BADARG("sandbox_id", sandvol_mount(eng, NULL, &mr, &out));
    BADARG("sandbox_id", sandvol_mount(eng, BAD, &mr, &out));
    BADARG("request", sandvol_mount(eng, sb_id, NULL, &out));
    mr.volume = NULL;
    BADARG("request.volume", sandvol_mount(eng, sb_id, &mr, &out));
    mr.volume = BAD;
    BADARG("request.volume", sandvol_mount(eng, sb_id, &mr, &out));
    mr.volume = "args";
    mr.subpath = BAD;
    BADARG("request.subpath", sandvol_mount(eng, sb_id, &mr, &out));
    mr.subpath = NULL;
    mr.read_only = 5;
    BADARG("request.read_only", sandvol_mount(eng, sb_id, &mr, &out));
    BADARG("engine", sandvol_unmount(NULL, sb_id, vol_id, ms_id, &out));
    BADARG("sandbox_id", sandvol_unmount(eng, NULL, vol_id, ms_id, &out));
    BADARG("volume_ref", sandvol_unmount(eng, sb_id, NULL, ms_id, &out));
    BADARG("mount_session_id", sandvol_unmount(eng, sb_id, vol_id, NULL, &out));
    BADARG("sandbox_id", sandvol_unmount(eng, BAD, vol_id, ms_id, &out));
    BADARG("volume_ref", sandvol_unmount(eng, sb_id, BAD, ms_id, &out));
    BADARG("mount_session_id", sandvol_unmount(eng, sb_id, vol_id, BAD, &out));
    BADARG("engine", sandvol_mount_status(NULL, sb_id, &out));
    BADARG("sandbox_id", sandvol_mount_status(eng, NULL, &out));
    BADARG("sandbox_id", sandvol_mount_status(eng, BAD, &out));
    BADARG("out_json", sandvol_mount_status(eng, sb_id, NULL));
    BADARG("engine", sandvol_mount_get(NULL, ms_id, &out));
    BADARG("mount_session_id", sandvol_mount_get(eng, NULL, &out));
    BADARG("mount_session_id", sandvol_mount_get(eng, BAD, &out));
    BADARG("out_json", sandvol_mount_get(eng, ms_id, NULL));

    /* file operations, through both target kinds */
    const char *targets[2] = {sb_id, "args"};
    const int kinds[2] = {SB, VOL};
    const char *paths[2] = {"/mnt/args/keep.txt", "/keep.txt"};
    for (int i = 0; i < 2; i++) {
        int k = kinds[i];
        const char *t = targets[i], *p = paths[i];
        BADARG("target_kind", sandvol_read_file(eng, 7, t, p, &bytes, &len));
        BADARG("engine", sandvol_read_file(NULL, k, t, p, &bytes, &len));
        BADARG("target_id", sandvol_read_file(eng, k, NULL, p, &bytes, &len));
        BADARG("target_id", sandvol_read_file(eng, k, BAD, p, &bytes, &len));
        BADARG("path", sandvol_read_file(eng, k, t, NULL, &bytes, &len));
        BADARG("path", sandvol_read_file(eng, k, t, BAD, &bytes, &len));
        BADARG("out_data", sandvol_read_file(eng, k, t, p, NULL, &len));
        BADARG("out_len", sandvol_read_file(eng, k, t, p, &bytes, NULL));
        BADARG("engine", sandvol_read_range(NULL, k, t, p, 0, 2, &bytes, &len));
        BADARG("target_id", sandvol_read_range(eng, k, BAD, p, 0, 2, &bytes, &len));
        BADARG("path", sandvol_read_range(eng, k, t, BAD, 0, 2, &bytes, &len));
        BADARG("out_data", sandvol_read_range(eng, k, t, p, 0, 2, NULL, &len));
        BADARG("out_len", sandvol_read_range(eng, k, t, p, 0, 2, &bytes, NULL));
        CHECK(bytes == (uint8_t *)OUT_SENTINEL && len == 12345);

        BADARG("engine", sandvol_write_file(NULL, k, t, p, W("x"), NULL, &out));
        BADARG("target_id", sandvol_write_file(eng, k, NULL, p, W("x"), NULL, &out));
        BADARG("target_id", sandvol_write_file(eng, k, BAD, p, W("x"), NULL, &out));
        BADARG("path", sandvol_write_file(eng, k, t, NULL, W("x"), NULL, &out));
        BADARG("path", sandvol_write_file(eng, k, t, BAD, W("x"), NULL, &out));
        BADARG("data", sandvol_write_file(eng, k, t, p, NULL, 5, NULL, &out));
        BADARG("absurd", sandvol_write_file(eng, k, t, p, (const uint8_t *)"x", SIZE_MAX, NULL, &out));
        BADARG("target_kind", sandvol_write_file(eng, 0, t, p, W("x"), NULL, &out));
        sandvol_write_options wo;
        MUST(sandvol_write_options_init(&wo));
        wo.mode = 9;
        BADARG("write mode", sandvol_write_file(eng, k, t, p, W("x"), &wo, &out));
        MUST(sandvol_write_options_init(&wo));
        wo.if_version = -2;
        BADARG("if_version", sandvol_write_file(eng, k, t, p, W("x"), &wo, &out));
        wo.size = 1;
        BADARG("opts", sandvol_write_file(eng, k, t, p, W("x"), &wo, &out));
        MUST(sandvol_write_options_init(&wo));
        wo.mode = SANDVOL_WRITE_AT;
        wo.offset = UINT64_MAX; /* past the largest file (overflowed before) */
        BADARG("larger than the largest file", sandvol_write_file(eng, k, t, p, W("x"), &wo, &out));

        BADARG("engine", sandvol_stat(NULL, k, t, p, &out));
        BADARG("target_id", sandvol_stat(eng, k, BAD, p, &out));
        BADARG("path", sandvol_stat(eng, k, t, BAD, &out));
        BADARG("path", sandvol_stat(eng, k, t, NULL, &out));
        BADARG("out_json", sandvol_stat(eng, k, t, p, NULL));
        BADARG("engine", sandvol_exists(NULL, k, t, p, &flag));
        BADARG("path", sandvol_exists(eng, k, t, BAD, &flag));
        BADARG("out_exists", sandvol_exists(eng, k, t, p, NULL));
        CHECK(flag == 77);
        BADARG("engine", sandvol_list_dir(NULL, k, t, "/", 0, NULL, &out));
        BADARG("path", sandvol_list_dir(eng, k, t, BAD, 0, NULL, &out));
        BADARG("cursor", sandvol_list_dir(eng, k, t, "/", 0, BAD, &out));
        BADARG("out_json", sandvol_list_dir(eng, k, t, "/", 0, NULL, NULL));
        BADARG("engine", sandvol_mkdir(NULL, k, t, "/d", 1, &out));
        BADARG("path", sandvol_mkdir(eng, k, t, BAD, 1, &out));
        BADARG("path", sandvol_mkdir(eng, k, t, NULL, 1, &out));
        BADARG("engine", sandvol_remove(NULL, k, t, p, 1));
        BADARG("path", sandvol_remove(eng, k, t, BAD, 1));
        BADARG("path", sandvol_remove(eng, k, t, NULL, 1));
        BADARG("engine", sandvol_rename(NULL, k, t, p, "/x", &out));
        BADARG("src", sandvol_rename(eng, k, t, NULL, "/x", &out));
        BADARG("dst", sandvol_rename(eng, k, t, p, NULL, &out));
        BADARG("src", sandvol_rename(eng, k, t, BAD, "/x", &out));
        BADARG("dst", sandvol_rename(eng, k, t, p, BAD, &out));
        BADARG("engine", sandvol_symlink(NULL, k, t, "keep.txt", "/l", &out));
        BADARG("link_target", sandvol_symlink(eng, k, t, NULL, "/l", &out));
        BADARG("link", sandvol_symlink(eng, k, t, "keep.txt", NULL, &out));
        BADARG("link_target", sandvol_symlink(eng, k, t, BAD, "/l", &out));
        BADARG("link", sandvol_symlink(eng, k, t, "keep.txt", BAD, &out));
        BADARG("engine", sandvol_readlink(NULL, k, t, p, &out));
        BADARG("path", sandvol_readlink(eng, k, t, BAD, &out));
        BADARG("out_target", sandvol_readlink(eng, k, t, p, NULL));
        int64_t when = 1000;
        BADARG("engine", sandvol_set_times(NULL, k, t, p, &when, &when, &out));
        BADARG("path", sandvol_set_times(eng, k, t, BAD, &when, &when, &out));
        BADARG("target_id", sandvol_set_times(eng, k, NULL, p, &when, &when, &out));
        BADARG("engine", sandvol_file_open(NULL, k, t, p, "r", &fout));
        BADARG("target_id", sandvol_file_open(eng, k, BAD, p, "r", &fout));
        BADARG("path", sandvol_file_open(eng, k, t, BAD, "r", &fout));
        BADARG("mode", sandvol_file_open(eng, k, t, p, NULL, &fout));
        BADARG("mode", sandvol_file_open(eng, k, t, p, BAD, &fout));
        BADARG("mode", sandvol_file_open(eng, k, t, p, "rw-", &fout));
        BADARG("out_file", sandvol_file_open(eng, k, t, p, "r", NULL));
        CHECK(fout == (sandvol_file *)OUT_SENTINEL);
    }
    CHECK(out == OUT_SENTINEL);

    /* file handles */
    sandvol_file *f = NULL;
    MUST(sandvol_file_open(eng, VOL, "args", "/keep.txt", "r+", &f));
    uint8_t buf[16];
    size_t n = 999;
    BADARG("file", sandvol_file_read_at(NULL, 0, buf, sizeof buf, &n));
    BADARG("buf", sandvol_file_read_at(f, 0, NULL, 4, &n));
    BADARG("absurd", sandvol_file_read_at(f, 0, buf, SIZE_MAX, &n));
    BADARG("out_read", sandvol_file_read_at(f, 0, buf, sizeof buf, NULL));
    CHECK(n == 999);
    BADARG("file", sandvol_file_write_at(NULL, 0, W("zz"), &n));
    BADARG("data", sandvol_file_write_at(f, 0, NULL, 2, &n));
    BADARG("absurd", sandvol_file_write_at(f, 0, (const uint8_t *)"zz", SIZE_MAX, &n));
    BADARG("larger than the largest file", sandvol_file_write_at(f, UINT64_MAX - 1, W("zz"), &n));
    BADARG("file", sandvol_file_flush(NULL));
    BADARG("file", sandvol_file_size(NULL, &u64));
    BADARG("out_size", sandvol_file_size(f, NULL));
    CHECK(u64 == 99);
    BADARG("file", sandvol_file_stat(NULL, &out));
    BADARG("out_json", sandvol_file_stat(f, NULL));
    MUST(sandvol_file_close(f));

    /* nothing above changed anything */
    char *after = snapshot_state(eng, sb_id);
    CHECK(strcmp(before, after) == 0);
    uint8_t *data = NULL;
    MUST(sandvol_read_file(eng, VOL, "args", "/keep.txt", &data, &len));
    CHECK(len == 4 && memcmp(data, "keep", 4) == 0);
    sandvol_buffer_free(data);
    MUST(sandvol_snapshot_list(eng, "args", &out));
    CHECK(jeq(out, "/0/name", "s1"));
    char *one = NULL;
    CHECK(sandvol_json_get(out, "/1", &one) == SANDVOL_ERR_NOT_FOUND && one == NULL);
    sandvol_string_free(out);

    MUST(sandvol_sandbox_release(eng, sb_id, NULL));
    MUST(sandvol_engine_close(eng));
    free(before);
    free(after);
    free(vol_id);
    free(snap_id);
    free(sb_id);
    free(ms_id);
    free(dir);
    return finish("test_args");
}
