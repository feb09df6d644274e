/* PNG: round trips for 1-4 channels, images made by libpng directly in
 * other layouts (16-bit, palette, low-bit gray, interlaced), one made by
 * another tool, and bad files. */
#include "io_check.h"

#include "cogmap/io.h"
#include "io/io_internal.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void pattern(cm_image *img, unsigned seed)
{
    size_t n = (size_t)img->width * img->height * img->channels;
    for (size_t i = 0; i < n; i++)
        img->pixels[i] = (uint8_t)(i * 29u + seed * 101u + (i >> 5));
}

static void test_round_trip_channels(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/img.png", dir);
    const int sizes[][2] = {{1, 1}, {7, 3}, {64, 33}};
    for (int c = 1; c <= 4; c++) {
        for (int s = 0; s < 3; s++) {
            cm_image a, b;
            assert_int_equal(cm_image_alloc(&a, sizes[s][0], sizes[s][1], c), CM_OK);
            pattern(&a, (unsigned)(c * 3 + s));
            assert_int_equal(cm_png_write(path, &a), CM_OK);
            assert_int_equal(cm_png_read(path, &b), CM_OK);
            assert_int_equal(b.width, a.width);
            assert_int_equal(b.height, a.height);
            assert_int_equal(b.channels, c);
            assert_memory_equal(a.pixels, b.pixels, (size_t)a.width * a.height * c);
            cm_image_free(&a);
            cm_image_free(&b);
        }
    }
    cm_image bad = {0, 0, 3, NULL};
    assert_int_equal(cm_png_write(path, &bad), CM_ERR_ARG);
    cm_image x;
    assert_int_equal(cm_image_alloc(&x, 3, 3, 5), CM_ERR_ARG);
    assert_int_equal(cm_image_alloc(&x, 0, 3, 3), CM_ERR_ARG);
    /* a failed write leaves the old image and no temporary */
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/none/img.png", dir);
    assert_int_equal(cm_image_alloc(&x, 2, 2, 3), CM_OK);
    assert_int_equal(cm_png_write(missing, &x), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), missing));
    cm_image_free(&x);
    cmt_tmpdir_remove(dir);
}

/* Writes a PNG with libpng in any layout: rows of `rowbytes` bytes. */
static void write_with_libpng(const char *path, int w, int h, int depth, int color, int interlace,
                              const uint8_t *data, size_t rowbytes, const png_color *palette, int npalette,
                              const uint8_t *trans, int ntrans)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng failed writing the fixture");
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (palette)
        png_set_PLTE(png, info, palette, npalette);
    if (trans)
        png_set_tRNS(png, info, trans, ntrans, NULL);
    png_write_info(png, info);
    if (depth == 16)
        png_set_swap(png); /* our fixture buffers hold little-endian uint16 */
    png_bytep *rows = malloc((size_t)h * sizeof *rows);
    for (int y = 0; y < h; y++)
        rows[y] = (png_bytep)data + (size_t)y * rowbytes;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    fclose(fp);
}

static void test_other_layouts(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/fixture.png", dir);
    cm_image img;

    /* 16-bit RGBA: values v*257 come back as v exactly */
    {
        const int w = 5, h = 3;
        uint16_t px[5 * 3 * 4];
        for (int i = 0; i < w * h * 4; i++)
            px[i] = (uint16_t)(((i * 37) % 256) * 257);
        write_with_libpng(path, w, h, 16, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE, (uint8_t *)px,
                          (size_t)w * 8, NULL, 0, NULL, 0);
        assert_int_equal(cm_png_read(path, &img), CM_OK);
        assert_int_equal(img.channels, 4);
        for (int i = 0; i < w * h * 4; i++)
            assert_int_equal(img.pixels[i], (i * 37) % 256);
        cm_image_free(&img);
    }
    /* 16-bit gray with values between the multiples of 257: rounded */
    {
        uint16_t px[4] = {0, 65535, 128, 32896}; /* 128/257 -> 0, 32896/257 = 128 */
        write_with_libpng(path, 4, 1, 16, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, (uint8_t *)px, 8, NULL, 0, NULL,
                          0);
        assert_int_equal(cm_png_read(path, &img), CM_OK);
        assert_int_equal(img.channels, 1);
        assert_int_equal(img.pixels[0], 0);
        assert_int_equal(img.pixels[1], 255);
        assert_int_equal(img.pixels[2], 0);
        assert_int_equal(img.pixels[3], 128);
        cm_image_free(&img);
    }
    /* palette without transparency -> RGB; with tRNS -> RGBA */
    {
        png_color pal[3] = {{255, 0, 0}, {0, 128, 0}, {10, 20, 30}};
        uint8_t idx[6] = {0, 1, 2, 2, 1, 0};
        write_with_libpng(path, 3, 2, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, idx, 3, pal, 3, NULL, 0);
        assert_int_equal(cm_png_read(path, &img), CM_OK);
        assert_int_equal(img.channels, 3);
        for (int i = 0; i < 6; i++) {
            assert_int_equal(img.pixels[i * 3 + 0], pal[idx[i]].red);
            assert_int_equal(img.pixels[i * 3 + 1], pal[idx[i]].green);
            assert_int_equal(img.pixels[i * 3 + 2], pal[idx[i]].blue);
        }
        cm_image_free(&img);
        uint8_t trans[2] = {0, 77}; /* entry 2 opaque (no entry) */
        write_with_libpng(path, 3, 2, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, idx, 3, pal, 3, trans, 2);
        assert_int_equal(cm_png_read(path, &img), CM_OK);
        assert_int_equal(img.channels, 4);
        const uint8_t alpha[3] = {0, 77, 255};
        for (int i = 0; i < 6; i++) {
            assert_int_equal(img.pixels[i * 4 + 0], pal[idx[i]].red);
            assert_int_equal(img.pixels[i * 4 + 3], alpha[idx[i]]);
        }
        cm_image_free(&img);
    }
    /* 1-bit gray -> 0/255; 4-bit palette */
    {
        uint8_t bits[2] = {0xa5, 0x0f}; /* width 8, 2 rows */
        write_with_libpng(path, 8, 2, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, bits, 1, NULL, 0, NULL, 0);
        assert_int_equal(cm_png_read(path, &img), CM_OK);
        assert_int_equal(img.channels, 1);
        for (int i = 0; i < 16; i++)
            assert_int_equal(img.pixels[i], ((bits[i / 8] >> (7 - i % 8)) & 1) ? 255 : 0);
        cm_image_free(&img);
    }
    /* Adam7-interlaced RGB */
    {
        const int w = 9, h = 7;
        uint8_t px[9 * 7 * 3];
        for (int i = 0; i < w * h * 3; i++)
            px[i] = (uint8_t)(i * 13);
        write_with_libpng(path, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7, px, (size_t)w * 3, NULL, 0, NULL,
                          0);
        assert_int_equal(cm_png_read(path, &img), CM_OK);
        assert_int_equal(img.width, w);
        assert_memory_equal(img.pixels, px, sizeof px);
        cm_image_free(&img);
    }
    cmt_tmpdir_remove(dir);
}

/* A PNG built byte by byte in python with zlib only (filters None and Sub),
 * and one from ImageMagick's `convert` when it is installed. */
static void test_png_from_other_tools(void **state)
{
    (void)state;
    const char *python = cmt_python_with("zlib struct");
    if (!python)
        skip();
    const char *dir = cmt_tmpdir();
    char path[4096], script[4096];
    snprintf(path, sizeof path, "%s/py.png", dir);
    snprintf(script, sizeof script, "%s/mk.py", dir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs("import struct, sys, zlib\n"
          "w, h = 5, 3\n"
          "px = [[(x * 50 % 256, y * 80, (x + y) * 20) for x in range(w)] for y in range(h)]\n"
          "raw = b''\n"
          "for y, row in enumerate(px):\n"
          "    flat = bytes(v for p in row for v in p)\n"
          "    if y == 1:  # filter 1 (Sub): each byte minus the one 3 to the left\n"
          "        raw += b'\\x01' + bytes((flat[i] - (flat[i - 3] if i >= 3 else 0)) % 256 for i in range(len(flat)))\n"
          "    else:\n"
          "        raw += b'\\x00' + flat\n"
          "def chunk(t, d):\n"
          "    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))\n"
          "png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))\n"
          "png += chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')\n"
          "open(sys.argv[1], 'wb').write(png)\n",
          f);
    fclose(f);
    assert_int_equal(cmt_system("%s %s %s", python, script, path), 0);
    cm_image img;
    assert_int_equal(cm_png_read(path, &img), CM_OK);
    assert_int_equal(img.width, 5);
    assert_int_equal(img.height, 3);
    assert_int_equal(img.channels, 3);
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 5; x++) {
            const uint8_t *p = img.pixels + (y * 5 + x) * 3;
            assert_int_equal(p[0], x * 50 % 256);
            assert_int_equal(p[1], y * 80);
            assert_int_equal(p[2], (x + y) * 20);
        }
    cm_image_free(&img);

    if (cmt_system("command -v convert >/dev/null 2>&1") == 0) {
        snprintf(path, sizeof path, "%s/im.png", dir);
        if (cmt_system("convert -size 4x3 xc:'#ff8000' -depth 8 PNG24:%s >/dev/null 2>&1", path) == 0) {
            assert_int_equal(cm_png_read(path, &img), CM_OK);
            assert_int_equal(img.width, 4);
            assert_int_equal(img.height, 3);
            assert_true(img.channels == 3 || img.channels == 4);
            assert_int_equal(img.pixels[0], 255);
            assert_int_equal(img.pixels[1], 128);
            assert_int_equal(img.pixels[2], 0);
            cm_image_free(&img);
        } else {
            printf("note: convert is present but failed; ImageMagick check skipped\n");
        }
    } else {
        printf("note: no ImageMagick convert; only the python-built PNG was checked\n");
    }
    cmt_tmpdir_remove(dir);
}

/* cm_png_read for cmt_read_bytes: a failed read leaves no pixels. */
static cm_status png_reader(const char *path)
{
    cm_image img;
    cm_status st = cm_png_read(path, &img);
    if (st == CM_OK)
        cm_image_free(&img);
    else
        assert_null(img.pixels);
    return st;
}

static cm_status read_bad(const char *path, const void *p, size_t n) { return cmt_read_bytes(path, p, n, png_reader); }

static void test_bad_files(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char good[4096], bad[4096];
    snprintf(good, sizeof good, "%s/good.png", dir);
    snprintf(bad, sizeof bad, "%s/bad.png", dir);
    cm_image a;
    assert_int_equal(cm_image_alloc(&a, 6, 5, 3), CM_OK);
    pattern(&a, 9);
    assert_int_equal(cm_png_write(good, &a), CM_OK);
    cm_image_free(&a);
    void *raw;
    size_t len;
    assert_int_equal(cm_read_file(good, &raw, &len), CM_OK);
    uint8_t *b = malloc(len);
    /* every truncation: IEND is the last 12 bytes, so a file cut inside
     * it still holds the whole image; libpng still fails on the cut chunk
     * or accepts it, and neither may crash */
    for (size_t n = 0; n < len; n++) {
        cm_status st = read_bad(bad, raw, n);
        if (n < len - 12)
            assert_int_equal(st, CM_ERR_FORMAT);
    }
    memcpy(b, raw, len);
    b[1] = 'X'; /* magic */
    assert_int_equal(read_bad(bad, b, len), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "signature"));
    memcpy(b, raw, len);
    b[8 + 8 + 13 + 4 + 8 + 2] ^= 0x40; /* inside IDAT data: CRC mismatch */
    assert_int_equal(read_bad(bad, b, len), CM_ERR_FORMAT);
    /* absurd dimensions with a correct CRC: refused before allocating */
    memcpy(b, raw, len);
    cm_put32(b + 16, 0); /* width, big-endian 2^30 */
    b[16] = 0x40;
    uint32_t crc = (uint32_t)crc32(0, b + 12, 17);
    b[29] = (uint8_t)(crc >> 24), b[30] = (uint8_t)(crc >> 16), b[31] = (uint8_t)(crc >> 8), b[32] = (uint8_t)crc;
    assert_int_equal(read_bad(bad, b, len), CM_ERR_FORMAT);
    /* every byte flipped in turn: each reads or fails cleanly */
    for (size_t i = 8; i < len; i++) {
        memcpy(b, raw, len);
        b[i] ^= 0x21;
        read_bad(bad, b, len);
    }
    cm_image img;
    assert_int_equal(cm_png_read("/nonexistent/x.png", &img), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), "/nonexistent/x.png"));
    free(b);
    cm_free(raw);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_channels),
        cmocka_unit_test(test_other_layouts),
        cmocka_unit_test(test_png_from_other_tools),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
