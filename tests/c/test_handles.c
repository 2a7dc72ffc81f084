/* Handle and memory ownership: NULL-safe frees, double close and use after
 * close of handles (reported, never touching freed memory), handles of the
 * wrong kind, zero-length buffers, and file handles end to end. */
#include "test.h"
#include <stdint.h>

#define W(s) ((const uint8_t *)(s)), strlen(s)

int main(int argc, char **argv) {
    const char *work = argc > 1 ? argv[1] : "c-test-handles";
    char *dir = data_dir(work, "handles");

    /* NULL-safe frees and closes */
    sandvol_string_free(NULL);
    sandvol_buffer_free(NULL);
    MUST(sandvol_engine_close(NULL));
    MUST(sandvol_file_close(NULL));

    sandvol_engine *eng = NULL, *eng2 = NULL;
    MUST(sandvol_engine_open(dir, &eng));
    MUST(sandvol_engine_open(dir, &eng2)); /* two engines on one directory */
    CHECK(eng != NULL && eng2 != NULL && eng != eng2);
    char *path = NULL;
    MUST(sandvol_engine_data_dir(eng, &path));
    CHECK(strcmp(path, dir) == 0);
    sandvol_string_free(path);

    sandvol_volume_options vo;
    MUST(sandvol_volume_options_init(&vo));
    vo.name = "h";
    vo.access_mode = "RWX";
    MUST(sandvol_volume_create(eng, &vo, NULL));
    char *json = NULL;
    MUST(sandvol_volume_get(eng2, "h", &json)); /* visible through the other engine */
    CHECK(jeq(json, "/name", "h"));
    sandvol_string_free(json);

    /* zero-length results are real, freeable buffers */
    MUST(sandvol_write_file(eng, SANDVOL_TARGET_VOLUME, "h", "/empty", NULL, 0, NULL, NULL));
    uint8_t *data = NULL;
    size_t len = 99;
    MUST(sandvol_read_file(eng, SANDVOL_TARGET_VOLUME, "h", "/empty", &data, &len));
    CHECK(data != NULL && len == 0);
    sandvol_buffer_free(data);
    MUST(sandvol_write_file(eng, SANDVOL_TARGET_VOLUME, "h", "/abc", W("abcdef"), NULL, NULL));
    MUST(sandvol_read_range(eng, SANDVOL_TARGET_VOLUME, "h", "/abc", 100, 5, &data, &len));
    CHECK(data != NULL && len == 0);
    sandvol_buffer_free(data);
    MUST(sandvol_read_range(eng, SANDVOL_TARGET_VOLUME, "h", "/abc", 2, 3, &data, &len));
    CHECK(len == 3 && memcmp(data, "cde", 3) == 0);
    sandvol_buffer_free(data);

    /* a file handle: buffered writes visible to the handle, published by flush */
    sandvol_file *f = NULL;
    MUST(sandvol_file_open(eng, SANDVOL_TARGET_VOLUME, "h", "/big.bin", "w+", &f));
    size_t n = 0;
    MUST(sandvol_file_write_at(f, 0, W("hello "), &n));
    CHECK(n == 6);
    MUST(sandvol_file_write_at(f, 6, W("world"), NULL));
    uint64_t size = 0;
    MUST(sandvol_file_size(f, &size));
    CHECK(size == 11);
    uint8_t buf[32];
    MUST(sandvol_file_read_at(f, 0, buf, sizeof buf, &n));
    CHECK(n == 11 && memcmp(buf, "hello world", 11) == 0);
    MUST(sandvol_file_read_at(f, 6, buf, 3, &n));
    CHECK(n == 3 && memcmp(buf, "wor", 3) == 0);
    MUST(sandvol_file_read_at(f, 50, buf, sizeof buf, &n));
    CHECK(n == 0);
    MUST(sandvol_file_read_at(f, 0, NULL, 0, &n));
    CHECK(n == 0);
    MUST(sandvol_file_flush(f));
    MUST(sandvol_file_stat(f, &json));
    CHECK(jeq(json, "/size", "11") && jeq(json, "/kind", "file"));
    sandvol_string_free(json);
    MUST(sandvol_read_file(eng2, SANDVOL_TARGET_VOLUME, "h", "/big.bin", &data, &len));
    CHECK(len == 11 && memcmp(data, "hello world", 11) == 0);
    sandvol_buffer_free(data);
    /* a read-only handle refuses writes */
    sandvol_file *r = NULL;
    MUST(sandvol_file_open(eng, SANDVOL_TARGET_VOLUME, "h", "/big.bin", "r", &r));
    EXPECT_ERR(SANDVOL_ERR_INVALID_STATE, sandvol_file_write_at(r, 0, W("x"), &n));
    EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, sandvol_engine_close((sandvol_engine *)r)); /* wrong kind */
    CHECK(msg_has("engine handle"));
    MUST(sandvol_file_close(r));

    /* double close of a file handle, and use after close: reported, nothing touched */
    MUST(sandvol_file_close(f));
    EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, sandvol_file_close(f));
    CHECK(msg_has("not open"));
    EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, sandvol_file_read_at(f, 0, buf, sizeof buf, &n));
    EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, sandvol_file_flush(f));
    /* an engine handle is not a file handle, and a forged pointer is neither */
    EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, sandvol_file_flush((sandvol_file *)eng));
    CHECK(msg_has("file handle"));
    EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, sandvol_stats((sandvol_engine *)(uintptr_t)0x1230, &json));
    EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, sandvol_engine_close((sandvol_engine *)(uintptr_t)0x1230));

    /* a file handle outliving its engine: calls fail cleanly, close releases it */
    sandvol_file *orphan = NULL;
    MUST(sandvol_file_open(eng2, SANDVOL_TARGET_VOLUME, "h", "/abc", "r", &orphan));
    MUST(sandvol_engine_close(eng2));
    EXPECT_ERR(SANDVOL_ERR_INVALID_STATE, sandvol_file_write_at(orphan, 0, W("x"), &n));
    MUST(sandvol_file_close(orphan));

    /* double close of an engine, and use after close */
    EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, sandvol_engine_close(eng2));
    CHECK(msg_has("not open"));
    EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, sandvol_volume_get(eng2, "h", &json));
    /* the other engine is unaffected */
    MUST(sandvol_volume_get(eng, "h", &json));
    sandvol_string_free(json);
    MUST(sandvol_engine_close(eng));
    EXPECT_ERR(SANDVOL_ERR_INVALID_ARGUMENT, sandvol_engine_close(eng));

    /* reopening finds everything as it was left */
    MUST(sandvol_engine_open(dir, &eng));
    MUST(sandvol_read_file(eng, SANDVOL_TARGET_VOLUME, "h", "/big.bin", &data, &len));
    CHECK(len == 11);
    sandvol_buffer_free(data);
    MUST(sandvol_engine_close(eng));

    /* NULL path: $SANDVOL_HOME */
    char *home = data_dir(work, "home");
    setenv("SANDVOL_HOME", home, 1);
    MUST(sandvol_engine_open(NULL, &eng));
    MUST(sandvol_engine_data_dir(eng, &path));
    CHECK(strcmp(path, home) == 0);
    sandvol_string_free(path);
    MUST(sandvol_engine_close(eng));
    struct stat st;
    char catalog[4200];
    snprintf(catalog, sizeof catalog, "%s/catalog.db", home);
    CHECK(stat(catalog, &st) == 0);

    /* library-owned strings: static, never freed by the caller */
    CHECK(strcmp(sandvol_version(), SANDVOL_VERSION) == 0);
    CHECK(sandvol_last_error_message() != NULL);
    free(home);
    free(dir);
    return finish("test_handles");
}
