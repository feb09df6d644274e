/* Animated GIF writer over Debian's giflib (plot.h). */
#include "cogmap/plot.h"
#include "cogmap/io.h"

#include <gif_lib.h>
#include <string.h>

/* One fixed palette for every frame: a 6x7x6 RGB cube (252 colours; green gets
 * the extra level because the eye resolves it best) plus 4 greys. A fixed
 * palette keeps frames comparable (the same rate gets the same colour in each
 * frame) and needs no per-frame quantisation pass. */
#define GIF_R 6
#define GIF_G 7
#define GIF_B 6

static void build_palette(GifColorType *pal)
{
    int k = 0;
    for (int r = 0; r < GIF_R; r++)
        for (int g = 0; g < GIF_G; g++)
            for (int b = 0; b < GIF_B; b++, k++) {
                pal[k].Red = (GifByteType)(r * 255 / (GIF_R - 1));
                pal[k].Green = (GifByteType)(g * 255 / (GIF_G - 1));
                pal[k].Blue = (GifByteType)(b * 255 / (GIF_B - 1));
            }
    static const GifByteType greys[4] = {32, 96, 160, 224};
    for (int i = 0; i < 4; i++, k++)
        pal[k].Red = pal[k].Green = pal[k].Blue = greys[i];
}

static GifPixelType nearest(const GifColorType *pal, const uint8_t *rgb)
{
    int r = (rgb[0] * (GIF_R - 1) + 127) / 255;
    int g = (rgb[1] * (GIF_G - 1) + 127) / 255;
    int b = (rgb[2] * (GIF_B - 1) + 127) / 255;
    int best = (r * GIF_G + g) * GIF_B + b;
    /* Near-grey pixels may sit closer to one of the extra greys. */
    int dbest = 0;
    for (int c = 0; c < 3; c++) {
        int d = (int)rgb[c] - (c == 0 ? pal[best].Red : c == 1 ? pal[best].Green : pal[best].Blue);
        dbest += d * d;
    }
    for (int i = GIF_R * GIF_G * GIF_B; i < 256; i++) {
        int d0 = (int)rgb[0] - pal[i].Red, d1 = (int)rgb[1] - pal[i].Green, d2 = (int)rgb[2] - pal[i].Blue;
        int d = d0 * d0 + d1 * d1 + d2 * d2;
        if (d < dbest) {
            dbest = d;
            best = i;
        }
    }
    return (GifPixelType)best;
}

static int write_cb(GifFileType *gif, const GifByteType *data, int len)
{
    FILE *fp = gif->UserData;
    return (int)fwrite(data, 1, (size_t)len, fp);
}

cm_status cm_gif_write(const char *path, const uint8_t *const *frames, int count, int width, int height, int delay_cs)
{
    if (count <= 0 || width <= 0 || height <= 0 || width > 65535 || height > 65535)
        return cm_error(CM_ERR_ARG, "%s: expected >= 1 frame of 1..65535 x 1..65535 pixels, got %d of %d x %d", path,
                        count, width, height);
    if (delay_cs < 0 || delay_cs > 65535)
        return cm_error(CM_ERR_ARG, "%s: frame delay: expected 0..65535 hundredths of a second, got %d", path,
                        delay_cs);
    cm_atomic_file af;
    cm_status st = cm_atomic_open(&af, path);
    if (st != CM_OK)
        return st;
    GifPixelType *line = cm_alloc((size_t)width);
    ColorMapObject *map = GifMakeMapObject(256, NULL);
    int err = 0;
    GifFileType *gif = (line && map) ? EGifOpen(af.fp, write_cb, &err) : NULL;
    if (!gif) {
        st = line && map ? cm_error(CM_ERR_IO, "%s: giflib cannot start the file: %s", path, GifErrorString(err))
                         : cm_error(CM_ERR_NOMEM, "%s: cannot allocate a GIF line", path);
        goto done;
    }
    build_palette(map->Colors);
    EGifSetGifVersion(gif, true);
    if (EGifPutScreenDesc(gif, width, height, 8, 0, map) == GIF_ERROR)
        goto gif_fail;
    /* NETSCAPE2.0 application block: loop forever. */
    static const GifByteType loop[3] = {1, 0, 0};
    if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
        EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") == GIF_ERROR ||
        EGifPutExtensionBlock(gif, 3, loop) == GIF_ERROR || EGifPutExtensionTrailer(gif) == GIF_ERROR)
        goto gif_fail;
    for (int f = 0; f < count; f++) {
        GifByteType gce[4] = {0, (GifByteType)(delay_cs & 0xff), (GifByteType)(delay_cs >> 8), 0};
        if (EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, gce) == GIF_ERROR)
            goto gif_fail;
        if (EGifPutImageDesc(gif, 0, 0, width, height, false, NULL) == GIF_ERROR)
            goto gif_fail;
        for (int y = 0; y < height; y++) {
            const uint8_t *row = frames[f] + (size_t)y * width * 3;
            for (int x = 0; x < width; x++)
                line[x] = nearest(map->Colors, row + 3 * x);
            if (EGifPutLine(gif, line, width) == GIF_ERROR)
                goto gif_fail;
        }
    }
    if (EGifCloseFile(gif, &err) == GIF_ERROR) {
        gif = NULL;
        st = cm_error(CM_ERR_IO, "%s: giflib: %s", path, GifErrorString(err));
        goto done;
    }
    gif = NULL;
    GifFreeMapObject(map);
    map = NULL;
    cm_free(line);
    return cm_atomic_commit(&af);

gif_fail:
    st = cm_error(CM_ERR_IO, "%s: giflib: %s", path, GifErrorString(gif->Error));
done:
    if (gif)
        EGifCloseFile(gif, &err);
    if (map)
        GifFreeMapObject(map);
    cm_free(line);
    cm_atomic_abort(&af);
    return st;
}
