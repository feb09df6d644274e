/* PNG through libpng. libpng reports errors by longjmp; every entry point
 * here sets a jump target first and turns the jump into a cm_status naming
 * the file, freeing whatever had been allocated. Warnings are dropped (the
 * library never prints). */
#include "io_internal.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Larger images are refused before any allocation: 32768 pixels a side and
 * 1 GiB of pixels are far above what cogmap renders or reads. */
#define CM_PNG_MAX_SIDE 32768u
#define CM_PNG_MAX_BYTES ((size_t)1 << 30)
#define CM_PNG_SIGNATURE_BYTES 8 /* \x89PNG\r\n\x1a\n */

typedef struct png_failure {
    jmp_buf jmp;
    char msg[256];
} png_failure;

static void on_error(png_structp png, png_const_charp msg)
{
    png_failure *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg ? msg : "libpng error");
    longjmp(e->jmp, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

cm_status cm_image_alloc(cm_image *img, int width, int height, int channels)
{
    memset(img, 0, sizeof *img);
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4)
        return cm_error(CM_ERR_ARG, "image: expected width, height > 0 and 1-4 channels, got %dx%dx%d", width, height,
                        channels);
    size_t bytes = (size_t)width * (size_t)height * (size_t)channels; /* < 2^33: no overflow in 64 bits */
    img->pixels = cm_alloc(bytes);
    if (!img->pixels)
        return cm_error(CM_ERR_NOMEM, "image: cannot allocate %dx%dx%d pixels", width, height, channels);
    memset(img->pixels, 0, bytes);
    img->width = width;
    img->height = height;
    img->channels = channels;
    return CM_OK;
}

void cm_image_free(cm_image *img)
{
    if (!img)
        return;
    cm_free(img->pixels);
    img->pixels = NULL;
    img->width = img->height = img->channels = 0;
}

/* Opens `path`, checks the PNG signature and makes libpng's reader with
 * our error handlers. The caller sets its own setjmp: a longjmp must land
 * in a frame that is still live. */
static cm_status open_reader(const char *path, FILE **fp_out, png_failure *fail, png_structp *png_out,
                             png_infop *info_out)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return cm_error(CM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    uint8_t sig[CM_PNG_SIGNATURE_BYTES];
    size_t got = fread(sig, 1, sizeof sig, fp);
    if (got != sizeof sig || png_sig_cmp(sig, 0, sizeof sig) != 0) {
        fclose(fp);
        return cm_error(CM_ERR_FORMAT, "%s: PNG signature: expected \\x89PNG\\r\\n\\x1a\\n, not a PNG file", path);
    }
    fail->msg[0] = '\0';
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, fail, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        fclose(fp);
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate the PNG decoder", path);
    }
    *fp_out = fp;
    *png_out = png;
    *info_out = info;
    return CM_OK;
}

cm_status cm_png_read(const char *path, cm_image *out)
{
    memset(out, 0, sizeof *out);
    FILE *fp;
    png_failure fail;
    png_structp png;
    png_infop info;
    cm_status st = open_reader(path, &fp, &fail, &png, &info);
    if (st != CM_OK)
        return st;
    /* Locals changed after setjmp must be volatile to survive the longjmp. */
    png_bytep *volatile rows = NULL;
    cm_image *volatile img = out;
    if (setjmp(fail.jmp)) {
        free(rows);
        cm_image_free(img);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return cm_error(CM_ERR_FORMAT, "%s: PNG: %s", path, fail.msg);
    }
    png_init_io(png, fp);
    png_set_sig_bytes(png, CM_PNG_SIGNATURE_BYTES);
    png_set_user_limits(png, CM_PNG_MAX_SIDE, CM_PNG_MAX_SIDE);
    png_read_info(png, info);
    png_uint_32 width, height;
    int depth, color, interlace;
    png_get_IHDR(png, info, &width, &height, &depth, &color, &interlace, NULL, NULL);
    /* Everything to 8 bits per channel, keeping the channel layout:
     * palettes become RGB (RGBA with a tRNS chunk), low-bit gray 8-bit gray,
     * 16-bit channels are scaled (v * 255 / 65535, rounded). */
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    if (depth == 16)
        png_set_scale_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int channels = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (channels < 1 || channels > 4 || rowbytes != (size_t)width * (size_t)channels ||
        png_get_bit_depth(png, info) != 8) {
        snprintf(fail.msg, sizeof fail.msg, "unexpected layout after conversion (%d channels, %zu bytes a row)",
                 channels, rowbytes);
        longjmp(fail.jmp, 1);
    }
    if ((size_t)width * height * (size_t)channels > CM_PNG_MAX_BYTES) {
        snprintf(fail.msg, sizeof fail.msg, "%ux%u pixels: expected at most %zu bytes of pixels", (unsigned)width,
                 (unsigned)height, CM_PNG_MAX_BYTES);
        longjmp(fail.jmp, 1);
    }
    if (cm_memory_check((uint64_t)width * height * (uint64_t)channels, "pixels") != CM_OK) {
        snprintf(fail.msg, sizeof fail.msg, "%ux%ux%d %s", (unsigned)width, (unsigned)height, channels, cm_errmsg());
        longjmp(fail.jmp, 1);
    }
    if (cm_image_alloc(out, (int)width, (int)height, channels) != CM_OK) {
        snprintf(fail.msg, sizeof fail.msg, "cannot allocate %ux%ux%d pixels", (unsigned)width, (unsigned)height,
                 channels);
        longjmp(fail.jmp, 1);
    }
    rows = malloc(height * sizeof *rows);
    if (!rows) {
        snprintf(fail.msg, sizeof fail.msg, "cannot allocate row pointers");
        longjmp(fail.jmp, 1);
    }
    for (png_uint_32 y = 0; y < height; y++)
        rows[y] = out->pixels + (size_t)y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    return CM_OK;
}

cm_status cm_png_info(const char *path, int *width, int *height, int *channels)
{
    FILE *fp;
    png_failure fail;
    png_structp png;
    png_infop info;
    cm_status st = open_reader(path, &fp, &fail, &png, &info);
    if (st != CM_OK)
        return st;
    if (setjmp(fail.jmp)) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return cm_error(CM_ERR_FORMAT, "%s: PNG: %s", path, fail.msg);
    }
    png_init_io(png, fp);
    png_set_sig_bytes(png, CM_PNG_SIGNATURE_BYTES);
    png_set_user_limits(png, CM_PNG_MAX_SIDE, CM_PNG_MAX_SIDE);
    png_read_info(png, info);
    png_uint_32 w, h;
    int depth, color, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    /* The channels cm_png_read would return. */
    int c = color == PNG_COLOR_TYPE_GRAY ? 1 : color == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
          : color == PNG_COLOR_TYPE_RGB_ALPHA ? 4 : 3;
    if ((c == 1 || c == 3) && png_get_valid(png, info, PNG_INFO_tRNS))
        c++;
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    *width = (int)w;
    *height = (int)h;
    *channels = c;
    return CM_OK;
}

cm_status cm_png_write(const char *path, const cm_image *img)
{
    if (!img || !img->pixels || img->width <= 0 || img->height <= 0 || img->channels < 1 || img->channels > 4)
        return cm_error(CM_ERR_ARG, "%s: expected an image with pixels, width, height > 0 and 1-4 channels", path);
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                       PNG_COLOR_TYPE_RGB_ALPHA};
    cm_atomic_file f;
    cm_status st = cm_atomic_open(&f, path);
    if (st)
        return st;
    png_failure fail;
    fail.msg[0] = '\0';
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &fail, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(png ? &png : NULL, NULL);
        cm_atomic_abort(&f);
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate the PNG encoder", path);
    }
    if (setjmp(fail.jmp)) {
        png_destroy_write_struct(&png, &info);
        cm_atomic_abort(&f);
        return cm_error(CM_ERR_IO, "%s: PNG: %s", path, fail.msg);
    }
    png_init_io(png, f.fp);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8, color_types[img->channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)img->width * (size_t)img->channels;
    for (int y = 0; y < img->height; y++)
        png_write_row(png, img->pixels + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return cm_atomic_commit(&f);
}
