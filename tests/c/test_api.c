/* The rest of the C API end to end: engine options, volume list/update/
 * labels/pagination, snapshots, changes, stats, gc, fsck, sandboxes (get,
 * list, pause, resume, bootstrap failure, force delete), mounts, and every
 * file operation with write modes. */
#include "test.h"
#include <stdint.h>

#define W(s) ((const uint8_t *)(s)), strlen(s)
#define SB SANDVOL_TARGET_SANDBOX
#define VOL SANDVOL_TARGET_VOLUME

static char *read_str(sandvol_engine *eng, int kind, const char *t, const char *p) {
    uint8_t *d = NULL;
    size_t n = 0;
    MUST(sandvol_read_file(eng, kind, t, p, &d, &n));
    char *s = malloc(n + 1);
    memcpy(s, d, n);
    s[n] = 0;
    sandvol_buffer_free(d);
    return s;
}

#define READ_IS(eng, kind, t, p, want)                 \
    do {                                               \
        char *got_ = read_str(eng, kind, t, p);        \
        CHECK(strcmp(got_, want) == 0);                \
        free(got_);                                    \
    } while (0)

int main(int argc, char **argv) {
    const char *work = argc > 1 ? argv[1] : "c-test-api";
    char *dir = data_dir(work, "api");
    char *json = NULL;

    /* engine options: custom reserved prefixes, power durability, smaller blocks */
    sandvol_engine_options eo;
    MUST(sandvol_engine_options_init(&eo));
    const char *reserved[] = {"/secret"};
    eo.reserved_prefixes = reserved;
    eo.reserved_prefixes_len = 1;
    eo.durability = "power";
    eo.block_size = 1 << 16;
    eo.durability = "fast";
    sandvol_engine *eng = NULL;
    EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, sandvol_engine_open_with(dir, &eo, &eng));
    CHECK(msg_has("fast") && eng == NULL);
    eo.durability = "power";
    eo.busy_timeout_ms = 5000;
    MUST(sandvol_engine_open_with(dir, &eo, &eng));

    /* volumes: labels, list filter and pages, update, get by name and id */
    sandvol_volume_options vo;
    char name[16];
    for (int i = 0; i < 5; i++) {
        MUST(sandvol_volume_options_init(&vo));
        snprintf(name, sizeof name, "v%d", i);
        vo.name = name;
        vo.labels_json = i % 2 ? "{\"team\":\"ml\"}" : "{\"team\":\"web\"}";
        MUST(sandvol_volume_create(eng, &vo, &json));
        CHECK(jeq(json, "/name", name) && jeq(json, "/access_mode", "RWO"));
        sandvol_string_free(json);
    }
    MUST(sandvol_volume_list(eng, "{\"team\":\"ml\"}", 0, NULL, &json));
    CHECK(jeq(json, "/items/0/name", "v1") && jeq(json, "/items/1/name", "v3") && jeq(json, "/next_cursor", "null"));
    sandvol_string_free(json);
    MUST(sandvol_volume_list(eng, NULL, 2, NULL, &json));
    CHECK(jeq(json, "/items/1/name", "v1"));
    char *cursor = jget(json, "/next_cursor");
    sandvol_string_free(json);
    MUST(sandvol_volume_list(eng, NULL, 2, cursor, &json));
    CHECK(jeq(json, "/items/0/name", "v2") && jeq(json, "/items/1/name", "v3"));
    sandvol_string_free(json);
    free(cursor);
    EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, sandvol_volume_list(eng, NULL, 5000, NULL, &json));

    sandvol_config cfg;
    MUST(sandvol_config_init(&cfg));
    cfg.buffer_size_bytes = 1 << 20;
    cfg.prefetch = 4;
    cfg.writeback = 1;
    sandvol_volume_update_options uo;
    MUST(sandvol_volume_update_options_init(&uo));
    uo.labels_json = "{\"team\":\"infra\",\"tier\":\"gold\"}";
    uo.size_limit = "1M";
    uo.config = &cfg;
    MUST(sandvol_volume_update(eng, "v0", &uo, &json));
    CHECK(jeq(json, "/labels/tier", "gold") && jeq(json, "/size_limit", "1048576"));
    CHECK(jeq(json, "/config/buffer_size", "1048576") && jeq(json, "/config/prefetch", "4") &&
          jeq(json, "/config/writeback", "true"));
    char *v0 = jget(json, "/id");
    sandvol_string_free(json);
    MUST(sandvol_volume_update_options_init(&uo));
    uo.clear_size_limit = 1;
    MUST(sandvol_volume_update(eng, v0, &uo, NULL));
    MUST(sandvol_volume_get(eng, v0, &json));
    CHECK(jeq(json, "/size_limit", "null") && jeq(json, "/name", "v0") && jeq(json, "/labels/team", "infra"));
    sandvol_string_free(json);
    MUST(sandvol_volume_delete(eng, "v4", 0));
    EXPECT_ERR(SANDVOL_ERR_NOT_FOUND, sandvol_volume_get(eng, "v4", &json));

    /* a shared RWX volume, two sandboxes (one with a failing bootstrap mount) */
    MUST(sandvol_volume_options_init(&vo));
    vo.name = "data";
    vo.access_mode = "RWX";
    MUST(sandvol_volume_create(eng, &vo, &json));
    char *vol_id = jget(json, "/id");
    sandvol_string_free(json);
    sandvol_claim_options co;
    MUST(sandvol_claim_options_init(&co));
    sandvol_mount_request boot[2];
    MUST(sandvol_mount_request_init(&boot[0]));
    MUST(sandvol_mount_request_init(&boot[1]));
    boot[0].volume = "data";
    boot[0].mount_point = "/work";
    boot[1].volume = "no-such-volume";
    boot[1].mount_point = "/missing";
    co.mounts = boot;
    co.mounts_len = 2;
    co.wait_for_mounts = 1;
    co.group = "g1";
    co.labels_json = "{\"owner\":\"c\"}";
    MUST(sandvol_sandbox_claim(eng, "python", &co, &json));
    CHECK(jeq(json, "/template", "python") && jeq(json, "/group", "g1") && jeq(json, "/state", "running"));
    CHECK(jeq(json, "/bootstrap_mounts/0/state", "mounted") && jeq(json, "/bootstrap_mounts/1/state", "failed"));
    CHECK(jeq(json, "/bootstrap_mounts/1/last_error_code", "not_found"));
    char *sb = jget(json, "/id");
    char *boot_ms = jget(json, "/bootstrap_mounts/0/mount_session_id");
    sandvol_string_free(json);
    MUST(sandvol_sandbox_get(eng, sb, &json));
    CHECK(jeq(json, "/labels/owner", "c") && jeq(json, "/bootstrap_mounts/0/mount_point", "/work"));
    sandvol_string_free(json);
    MUST(sandvol_mount_get(eng, boot_ms, &json));
    CHECK(jeq(json, "/volume_id", vol_id) && jeq(json, "/sandbox_id", sb) && jeq(json, "/id", boot_ms));
    sandvol_string_free(json);
    /* custom reserved prefix; subpath + read-only mount */
    sandvol_mount_request mr;
    MUST(sandvol_mount_request_init(&mr));
    mr.volume = vol_id;
    mr.mount_point = "/secret/x";
    EXPECT_ERR(SANDVOL_ERR_PERMISSION, sandvol_mount(eng, sb, &mr, NULL));
    MUST(sandvol_write_file(eng, VOL, "data", "/sub/inner.txt", W("inner"), NULL, NULL));
    mr.mount_point = "/ro-sub";
    mr.subpath = "sub";
    mr.read_only = 1;
    MUST(sandvol_mount(eng, sb, &mr, &json));
    CHECK(jeq(json, "/subpath", "sub") && jeq(json, "/read_only", "true") && jeq(json, "/state", "mounted"));
    char *ro_ms = jget(json, "/id");
    sandvol_string_free(json);
    READ_IS(eng, SB, sb, "/ro-sub/inner.txt", "inner");
    MUST(sandvol_mount_status(eng, sb, &json));
    CHECK(jeq(json, "/2/mount_point", "/ro-sub"));
    sandvol_string_free(json);

    /* file operations through the sandbox */
    sandvol_write_options wo;
    MUST(sandvol_write_options_init(&wo));
    MUST(sandvol_write_file(eng, SB, sb, "/work/a.txt", W("hello"), NULL, &json));
    CHECK(jeq(json, "/path", "/work/a.txt") && jeq(json, "/size", "5"));
    sandvol_string_free(json);
    wo.mode = SANDVOL_WRITE_APPEND;
    MUST(sandvol_write_file(eng, SB, sb, "/work/a.txt", W(" world"), &wo, NULL));
    READ_IS(eng, SB, sb, "/work/a.txt", "hello world");
    wo.mode = SANDVOL_WRITE_AT;
    wo.offset = 0;
    MUST(sandvol_write_file(eng, SB, sb, "/work/a.txt", W("J"), &wo, NULL));
    READ_IS(eng, SB, sb, "/work/a.txt", "Jello world");
    wo.mode = SANDVOL_WRITE_EXCLUSIVE;
    EXPECT_ERR(SANDVOL_ERR_ALREADY_EXISTS, sandvol_write_file(eng, SB, sb, "/work/a.txt", W("x"), &wo, NULL));
    MUST(sandvol_write_options_init(&wo));
    wo.if_version = 0; /* must not exist */
    MUST(sandvol_write_file(eng, SB, sb, "/work/new.txt", W("n"), &wo, &json));
    char *ver = jget(json, "/version");
    sandvol_string_free(json);
    wo.if_version = atoll(ver);
    MUST(sandvol_write_file(eng, SB, sb, "/work/new.txt", W("n2"), &wo, NULL));
    EXPECT_ERR(SANDVOL_ERR_CONFLICT, sandvol_write_file(eng, SB, sb, "/work/new.txt", W("n3"), &wo, NULL));
    free(ver);
    MUST(sandvol_write_options_init(&wo));
    wo.parents = 0;
    EXPECT_ERR(SANDVOL_ERR_NOT_FOUND, sandvol_write_file(eng, SB, sb, "/work/no/dir/x.txt", W("x"), &wo, NULL));
    MUST(sandvol_mkdir(eng, SB, sb, "/work/d1/d2", 1, &json));
    CHECK(jeq(json, "/kind", "dir"));
    sandvol_string_free(json);
    EXPECT_ERR(SANDVOL_ERR_ALREADY_EXISTS, sandvol_mkdir(eng, SB, sb, "/work/d1", 0, NULL));
    MUST(sandvol_rename(eng, SB, sb, "/work/new.txt", "/work/d1/moved.txt", &json));
    CHECK(jeq(json, "/path", "/work/d1/moved.txt"));
    sandvol_string_free(json);
    READ_IS(eng, VOL, "data", "/d1/moved.txt", "n2");
    MUST(sandvol_symlink(eng, SB, sb, "d1/moved.txt", "/work/link", &json));
    CHECK(jeq(json, "/kind", "symlink") && jeq(json, "/target", "d1/moved.txt"));
    sandvol_string_free(json);
    char *target = NULL;
    MUST(sandvol_readlink(eng, SB, sb, "/work/link", &target));
    CHECK(strcmp(target, "d1/moved.txt") == 0);
    sandvol_string_free(target);
    READ_IS(eng, SB, sb, "/work/link", "n2");
    int64_t mtime = 1700000000000;
    MUST(sandvol_set_times(eng, SB, sb, "/work/a.txt", NULL, &mtime, &json));
    CHECK(jeq(json, "/mtime", "1700000000000"));
    sandvol_string_free(json);
    MUST(sandvol_list_dir(eng, SB, sb, "/work", 2, NULL, &json));
    CHECK(jeq(json, "/items/0/name", "a.txt") && jeq(json, "/items/1/name", "d1"));
    cursor = jget(json, "/next_cursor");
    sandvol_string_free(json);
    MUST(sandvol_list_dir(eng, SB, sb, "/work", 2, cursor, &json));
    CHECK(jeq(json, "/items/0/name", "link") && jeq(json, "/items/1/name", "sub"));
    sandvol_string_free(json);
    free(cursor);
    MUST(sandvol_remove(eng, SB, sb, "/work/d1", 1));
    int exists = -1;
    MUST(sandvol_exists(eng, SB, sb, "/work/d1/moved.txt", &exists));
    CHECK(exists == 0);
    MUST(sandvol_exists(eng, SB, sb, "/work/link", &exists)); /* a dangling symlink exists */
    CHECK(exists == 1);
    EXPECT_ERR(SANDVOL_ERR_READ_ONLY, sandvol_mkdir(eng, SB, sb, "/ro-sub/x", 1, NULL));

    /* the change feed */
    MUST(sandvol_volume_changes(eng, "data", 0, 0, &json));
    CHECK(jeq(json, "/0/kind", "mkdir") && jeq(json, "/0/path", "/sub")); /* parent made by the write */
    char *seq = jget(json, "/0/seq");
    sandvol_string_free(json);
    MUST(sandvol_volume_changes(eng, "data", strtoull(seq, NULL, 10), 1, &json));
    CHECK(jeq(json, "/0/path", "/sub/inner.txt") && jeq(json, "/0/kind", "write"));
    char *one = NULL;
    CHECK(sandvol_json_get(json, "/1", &one) == SANDVOL_ERR_NOT_FOUND);
    sandvol_string_free(json);
    free(seq);

    /* pause / resume */
    MUST(sandvol_sandbox_pause(eng, sb, &json));
    CHECK(jeq(json, "/state", "paused"));
    sandvol_string_free(json);
    EXPECT_ERR(SANDVOL_ERR_INVALID_STATE, sandvol_stat(eng, SB, sb, "/work/a.txt", &json));
    MUST(sandvol_mount_get(eng, boot_ms, &json));
    CHECK(jeq(json, "/state", "paused"));
    sandvol_string_free(json);
    MUST(sandvol_sandbox_resume(eng, sb, &json));
    CHECK(jeq(json, "/state", "running"));
    sandvol_string_free(json);
    READ_IS(eng, SB, sb, "/work/a.txt", "Jello world");

    /* snapshots: list, get, restore refused while mounted read-write, fork, delete */
    MUST(sandvol_snapshot_create(eng, "data", "s1", &json));
    char *snap = jget(json, "/id");
    CHECK(jeq(json, "/volume_id", vol_id) && jeq(json, "/name", "s1"));
    sandvol_string_free(json);
    MUST(sandvol_snapshot_create(eng, "data", NULL, NULL));
    MUST(sandvol_snapshot_list(eng, "data", &json));
    CHECK(jeq(json, "/0/id", snap) && jeq(json, "/1/name", "null"));
    char *snap2 = jget(json, "/1/id");
    sandvol_string_free(json);
    MUST(sandvol_snapshot_get(eng, snap, &json));
    CHECK(jeq(json, "/name", "s1"));
    sandvol_string_free(json);
    MUST(sandvol_write_file(eng, SB, sb, "/work/a.txt", W("after"), NULL, NULL));
    EXPECT_ERR(SANDVOL_ERR_CONFLICT, sandvol_snapshot_restore(eng, snap, NULL));
    MUST(sandvol_snapshot_fork(eng, snap, NULL, &json));
    char *fork = jget(json, "/id");
    CHECK(jeq(json, "/access_mode", "RWX"));
    sandvol_string_free(json);
    READ_IS(eng, VOL, fork, "/a.txt", "Jello world");
    MUST(sandvol_snapshot_delete(eng, snap2));
    EXPECT_ERR(SANDVOL_ERR_NOT_FOUND, sandvol_snapshot_get(eng, snap2, &json));

    /* unmount, restore, force delete of a mounted volume */
    MUST(sandvol_unmount(eng, sb, "data", boot_ms, &json));
    CHECK(jeq(json, "/state", "released"));
    sandvol_string_free(json);
    MUST(sandvol_unmount(eng, sb, vol_id, ro_ms, NULL));
    MUST(sandvol_snapshot_restore(eng, snap, &json));
    CHECK(jeq(json, "/id", vol_id));
    sandvol_string_free(json);
    READ_IS(eng, VOL, "data", "/a.txt", "Jello world");
    mr.volume = fork;
    mr.mount_point = "/fork";
    mr.subpath = NULL;
    mr.read_only = -1;
    MUST(sandvol_mount(eng, sb, &mr, &json));
    char *fork_ms = jget(json, "/id");
    sandvol_string_free(json);
    EXPECT_ERR(SANDVOL_ERR_CONFLICT, sandvol_volume_delete(eng, fork, 0));
    MUST(sandvol_volume_delete(eng, fork, 1));
    MUST(sandvol_mount_get(eng, fork_ms, &json));
    CHECK(jeq(json, "/state", "failed") && jeq(json, "/last_error_code", "force_detached"));
    sandvol_string_free(json);

    /* engine-wide: stats, gc, fsck, sandbox list, release */
    MUST(sandvol_stats(eng, &json));
    CHECK(jeq(json, "/volumes", "5") && jeq(json, "/sandboxes", "1") && jeq(json, "/active_mounts", "0"));
    sandvol_string_free(json);
    MUST(sandvol_gc(eng, 0, &json));
    char *freed = jget(json, "/blocks_deleted");
    CHECK(atoll(freed) >= 0);
    free(freed);
    sandvol_string_free(json);
    MUST(sandvol_gc(eng, SANDVOL_UNSET, NULL));
    MUST(sandvol_fsck(eng, &json));
    CHECK(jeq(json, "/clean", "true") && jeq(json, "/dangling", "[]") && jeq(json, "/orphans", "[]"));
    sandvol_string_free(json);
    MUST(sandvol_sandbox_list(eng, &json));
    CHECK(jeq(json, "/0/id", sb));
    sandvol_string_free(json);
    MUST(sandvol_sandbox_release(eng, sb, &json));
    CHECK(jeq(json, "/state", "released"));
    sandvol_string_free(json);
    EXPECT_ERR(SANDVOL_ERR_INVALID_STATE, sandvol_sandbox_release(eng, sb, NULL));
    MUST(sandvol_engine_close(eng));

    free(v0);
    free(vol_id);
    free(sb);
    free(boot_ms);
    free(ro_ms);
    free(snap);
    free(snap2);
    free(fork);
    free(fork_ms);
    free(dir);
    return finish("test_api");
}
