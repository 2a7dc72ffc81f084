/* The seed walkthrough of DESIGN.md in C: volumes, sandboxes, bootstrap
 * mounts, shared RWX files, the delete conflict, snapshots, fork, restore.
 *
 * Usage: walkthrough [DATA_DIR]   (no argument: $SANDVOL_HOME, else ./sandvol-data)
 *
 * Every call returns SANDVOL_OK or a negative SANDVOL_ERR_*; strings and
 * buffers the library returns are freed with sandvol_string_free and
 * sandvol_buffer_free. Exits non-zero on the first unexpected result. */
#include <sandvol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what, int rc) {
    fprintf(stderr, "%s failed: %d (%s): %s\n", what, rc, sandvol_error_name(rc), sandvol_last_error_message());
    exit(1);
}

#define TRY(call)                      \
    do {                               \
        int rc_ = (call);              \
        if (rc_ != SANDVOL_OK) die(#call, rc_); \
    } while (0)

/* A string field of a JSON result, owned by the caller (sandvol_string_free). */
static char *field(const char *json, const char *pointer) {
    char *v = NULL;
    TRY(sandvol_json_get(json, pointer, &v));
    return v;
}

static int equals(const uint8_t *data, size_t len, const char *want) {
    return len == strlen(want) && memcmp(data, want, len) == 0;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : NULL;
    printf("sandvol %s (header %s)\n", sandvol_version(), SANDVOL_VERSION);
    if (strcmp(sandvol_version(), SANDVOL_VERSION) != 0) {
        fprintf(stderr, "library %s does not match header %s\n", sandvol_version(), SANDVOL_VERSION);
        return 1;
    }
#ifdef SANDVOL_EXPECTED_VERSION
    if (strcmp(sandvol_version(), SANDVOL_EXPECTED_VERSION) != 0) {
        fprintf(stderr, "library %s is not Cargo.toml's %s\n", sandvol_version(), SANDVOL_EXPECTED_VERSION);
        return 1;
    }
#endif

    sandvol_engine *eng = NULL;
    TRY(sandvol_engine_open(dir, &eng));

    /* engine.create_volume(name="datasets", access_mode="RWX", cache_size="1G", buffer_size="128M") */
    char name[64], copy_name[80];
    snprintf(name, sizeof name, "datasets-%ld", (long)getpid());
    snprintf(copy_name, sizeof copy_name, "%s-copy", name);
    sandvol_config cfg;
    TRY(sandvol_config_init(&cfg));
    cfg.cache_size = "1G";
    cfg.buffer_size = "128M";
    sandvol_volume_options vo;
    TRY(sandvol_volume_options_init(&vo));
    vo.name = name;
    vo.access_mode = "RWX";
    vo.config = &cfg;
    char *vol = NULL;
    TRY(sandvol_volume_create(eng, &vo, &vol));
    char *vol_id = field(vol, "/id");
    char *mode = field(vol, "/access_mode");
    printf("volume   %s %s %s\n", vol_id, name, mode);

    /* sb = engine.claim_sandbox("default"); m = sb.mount(vol.id, "/mnt/data") */
    char *sb = NULL;
    TRY(sandvol_sandbox_claim(eng, "default", NULL, &sb));
    char *sb_id = field(sb, "/id");
    sandvol_mount_request mr;
    TRY(sandvol_mount_request_init(&mr));
    mr.volume = vol_id;
    mr.mount_point = "/mnt/data";
    char *m = NULL;
    TRY(sandvol_mount(eng, sb_id, &mr, &m));
    char *ms_id = field(m, "/mount_session_id");
    char *ms_point = field(m, "/mount_point");
    char *ms_state = field(m, "/state");
    printf("mount    %s %s %s\n", ms_id, ms_point, ms_state);

    /* sb.write_file / read_file */
    const char *hello = "Hello, Volume!";
    TRY(sandvol_write_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/hello.txt", (const uint8_t *)hello,
                           strlen(hello), NULL, NULL));
    uint8_t *data = NULL;
    size_t len = 0;
    TRY(sandvol_read_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/mnt/data/hello.txt", &data, &len));
    if (!equals(data, len, hello)) {
        fprintf(stderr, "read back %.*s\n", (int)len, (const char *)data);
        return 1;
    }
    sandvol_buffer_free(data);

    /* sb2 = engine.claim_sandbox("default", mounts=[MountRequest("datasets", "/workspace/data")],
     *                            wait_for_mounts=True, mount_wait_timeout_ms=30_000) */
    sandvol_mount_request boot;
    TRY(sandvol_mount_request_init(&boot));
    boot.volume = name;
    boot.mount_point = "/workspace/data";
    sandvol_claim_options co;
    TRY(sandvol_claim_options_init(&co));
    co.mounts = &boot;
    co.mounts_len = 1;
    co.wait_for_mounts = 1;
    co.mount_wait_timeout_ms = 30000;
    char *sb2 = NULL;
    TRY(sandvol_sandbox_claim(eng, "default", &co, &sb2));
    char *sb2_id = field(sb2, "/id");
    char *bm_vol = field(sb2, "/bootstrap_mounts/0/volume_id");
    char *bm_point = field(sb2, "/bootstrap_mounts/0/mount_point");
    char *bm_state = field(sb2, "/bootstrap_mounts/0/state");
    printf("boot     %s %s %s\n", bm_vol, bm_point, bm_state);
    TRY(sandvol_read_file(eng, SANDVOL_TARGET_SANDBOX, sb2_id, "/workspace/data/hello.txt", &data, &len));
    if (!equals(data, len, hello)) return 1;
    printf("sandbox2 reads \"%.*s\"\n", (int)len, (const char *)data);
    sandvol_buffer_free(data);

    /* for s in sb.mount_status(): print(...) */
    char *status = NULL;
    TRY(sandvol_mount_status(eng, sb_id, &status));
    for (int i = 0;; i++) {
        char ptr[64];
        char *v = NULL;
        snprintf(ptr, sizeof ptr, "/%d", i);
        if (sandvol_json_get(status, ptr, &v) != SANDVOL_OK) break;
        sandvol_string_free(v);
        char p1[80], p2[80], p3[80], p4[80];
        snprintf(p1, sizeof p1, "/%d/volume_id", i);
        snprintf(p2, sizeof p2, "/%d/mount_point", i);
        snprintf(p3, sizeof p3, "/%d/mount_session_id", i);
        snprintf(p4, sizeof p4, "/%d/state", i);
        char *a = field(status, p1), *b = field(status, p2), *c = field(status, p3), *d = field(status, p4);
        printf("status   %s %s %s %s\n", a, b, c, d);
        sandvol_string_free(a);
        sandvol_string_free(b);
        sandvol_string_free(c);
        sandvol_string_free(d);
    }
    sandvol_string_free(status);

    /* engine.delete_volume(vol.id) -> ConflictError */
    int rc = sandvol_volume_delete(eng, vol_id, 0);
    if (rc != SANDVOL_ERR_CONFLICT) {
        fprintf(stderr, "expected a conflict, got %d\n", rc);
        return 1;
    }
    printf("delete   %s (%s)\n", sandvol_error_name(rc), sandvol_last_error_message());

    /* snap = create_snapshot(vol.id, "v1"); fork = fork_snapshot(snap.id, name="datasets-copy") */
    char *snap = NULL, *fork = NULL;
    TRY(sandvol_snapshot_create(eng, vol_id, "v1", &snap));
    char *snap_id = field(snap, "/id");
    sandvol_volume_options fo;
    TRY(sandvol_volume_options_init(&fo));
    fo.name = copy_name;
    TRY(sandvol_snapshot_fork(eng, snap_id, &fo, &fork));
    char *fork_id = field(fork, "/id");
    const char *notes = "direct, no mount";
    TRY(sandvol_write_file(eng, SANDVOL_TARGET_VOLUME, fork_id, "/notes.txt", (const uint8_t *)notes, strlen(notes),
                           NULL, NULL));
    TRY(sandvol_read_file(eng, SANDVOL_TARGET_VOLUME, fork_id, "/notes.txt", &data, &len));
    if (!equals(data, len, notes)) return 1;
    printf("fork     %s reads \"%.*s\"\n", fork_id, (int)len, (const char *)data);
    sandvol_buffer_free(data);

    /* sb.unmount(vol.id, m.mount_session_id); sb2.release(); restore_snapshot(snap.id) */
    TRY(sandvol_unmount(eng, sb_id, vol_id, ms_id, NULL));
    TRY(sandvol_sandbox_release(eng, sb2_id, NULL));
    TRY(sandvol_write_file(eng, SANDVOL_TARGET_SANDBOX, sb_id, "/tmp/scratch.txt", (const uint8_t *)"scratch", 7,
                           NULL, NULL));
    const char *changed = "changed after v1";
    TRY(sandvol_write_file(eng, SANDVOL_TARGET_VOLUME, vol_id, "/hello.txt", (const uint8_t *)changed,
                           strlen(changed), NULL, NULL));
    TRY(sandvol_snapshot_restore(eng, snap_id, NULL));
    TRY(sandvol_read_file(eng, SANDVOL_TARGET_VOLUME, vol_id, "/hello.txt", &data, &len));
    if (!equals(data, len, hello)) return 1;
    sandvol_buffer_free(data);
    printf("restore  %s back to \"%s\"\n", vol_id, hello);
    TRY(sandvol_sandbox_release(eng, sb_id, NULL));
    TRY(sandvol_volume_delete(eng, vol_id, 0));
    TRY(sandvol_volume_delete(eng, fork_id, 0));
    printf("deleted  %s and %s\n", vol_id, fork_id);
    TRY(sandvol_engine_close(eng));

    char *owned[] = {vol, vol_id, mode, sb, sb_id, m, ms_id, ms_point, ms_state, sb2, sb2_id, bm_vol, bm_point,
                     bm_state, snap, snap_id, fork, fork_id};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) sandvol_string_free(owned[i]);
    return 0;
}
