/* Plot module smoke tests: every item type drawn to PNG, SVG and PDF; the PNG's size and the
 * pixels where a heatmap, a line and a polar curve must be; bad arguments. */
#include "test_util.h"

#include "cogmap/io.h"
#include "cogmap/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int starts_with_file(const char *path, const char *magic)
{
    char buf[16] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, strlen(magic), f);
    fclose(f);
    return n == strlen(magic) && memcmp(buf, magic, n) == 0;
}

/* A 2 x 3 figure with one panel of each kind. */
static cm_figure *make_figure(void)
{
    cm_figure *fig;
    assert_int_equal(cm_figure_create(&fig, 2, 3, 200, 180, "cogmap plot test"), CM_OK);
    double map[20 * 20];
    for (int i = 0; i < 400; i++)
        map[i] = (i / 20) + 0.1 * (i % 20);
    map[0] = NAN;
    cm_panel *p = cm_figure_panel(fig, 0, 0);
    assert_int_equal(cm_panel_heatmap(p, map, 20, 20, CM_CMAP_VIRIDIS, NAN, NAN), CM_OK);
    assert_int_equal(cm_panel_colorbar(p), CM_OK);
    assert_int_equal(cm_panel_title(p, "unit %d", 7), CM_OK);
    assert_int_equal(cm_panel_text(p, 0.02, 0.95, "g=1.23", 9, CM_BLACK), CM_OK);
    assert_int_equal(cm_panel_circle(p, 9.5, 9.5, 6, CM_WHITE, 1), CM_OK);

    double x[50], y[50];
    for (int i = 0; i < 50; i++) {
        x[i] = i * 0.1;
        y[i] = sin(x[i]);
    }
    p = cm_figure_panel(fig, 0, 1);
    assert_int_equal(cm_panel_line(p, x, y, 50, cm_plot_color(0), 2), CM_OK);
    assert_int_equal(cm_panel_scatter(p, x, y, 50, cm_plot_color(1), 2), CM_OK);
    assert_int_equal(cm_panel_hline(p, 0.0, CM_BLACK, 0.5), CM_OK);
    assert_int_equal(cm_panel_xlabel(p, "time (s)"), CM_OK);
    assert_int_equal(cm_panel_ylabel(p, "rate"), CM_OK);

    p = cm_figure_panel(fig, 0, 2);
    double th[36], r[36];
    for (int i = 0; i < 36; i++) {
        th[i] = i * 2 * M_PI / 36;
        r[i] = exp(2 * cos(th[i] - 1.0));
    }
    assert_int_equal(cm_panel_polar(p, th, r, 36, cm_plot_color(3), 1.5), CM_OK);

    p = cm_figure_panel(fig, 1, 0);
    double v[500];
    for (int i = 0; i < 500; i++) /* a cheap deterministic spread in [0, 1) */
        v[i] = sin(i * 12.9898) * 43758.5453 - floor(sin(i * 12.9898) * 43758.5453);
    assert_int_equal(cm_panel_hist(p, v, 500, 20, NAN, NAN, cm_plot_color(2)), CM_OK);
    assert_int_equal(cm_panel_vline(p, 0.3, cm_plot_color(3), 1), CM_OK);

    p = cm_figure_panel(fig, 1, 1);
    const double h[4] = {0.3, 0.12, 0.05, 0.5};
    const char *labels[4] = {"grid", "HD", "BVC", "other"};
    assert_int_equal(cm_panel_bars(p, h, 4, labels, cm_plot_color(4)), CM_OK);
    /* panel (1, 2) stays empty */
    return fig;
}

static void test_png_svg_pdf(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    cm_figure *fig = make_figure();
    int W, H;
    cm_figure_size(fig, &W, &H);
    assert_int_equal(W, 600);
    assert_int_equal(H, 360 + 28);

    snprintf(path, sizeof path, "%s/fig.png", dir);
    assert_int_equal(cm_figure_save(fig, path), CM_OK);
    cm_image img;
    assert_int_equal(cm_png_read(path, &img), CM_OK);
    assert_int_equal(img.width, W);
    assert_int_equal(img.height, H);
    /* the heatmap fills the middle of panel (0, 0): a coloured (not white, not grey) pixel */
    const int cx = 90, cy = 28 + 100;
    const uint8_t *px = img.pixels + ((size_t)cy * img.width + cx) * img.channels;
    assert_false(px[0] > 240 && px[1] > 240 && px[2] > 240);
    assert_false(px[0] == px[1] && px[1] == px[2]);
    /* the far corner of the empty panel (1, 2) is white */
    px = img.pixels + ((size_t)(H - 10) * img.width + (W - 10)) * img.channels;
    assert_true(px[0] == 255 && px[1] == 255 && px[2] == 255);
    /* some pixel of the polar panel has the curve's colour (vermillion: red-dominant) */
    int found = 0;
    for (int y = 28; y < 28 + 180 && !found; y++)
        for (int x = 400; x < 600 && !found; x++) {
            const uint8_t *q = img.pixels + ((size_t)y * img.width + x) * img.channels;
            found = q[0] > 180 && q[1] < 140 && q[2] < 80;
        }
    assert_true(found);
    cm_image_free(&img);

    snprintf(path, sizeof path, "%s/fig.svg", dir);
    assert_int_equal(cm_figure_save(fig, path), CM_OK);
    assert_true(file_size(path) > 1000);
    assert_true(starts_with_file(path, "<?xml"));
    snprintf(path, sizeof path, "%s/fig.PDF", dir);
    assert_int_equal(cm_figure_save(fig, path), CM_OK);
    assert_true(file_size(path) > 1000);
    assert_true(starts_with_file(path, "%PDF"));

    /* an unwritable place fails with a message naming it, and leaves nothing */
    snprintf(path, sizeof path, "%s/no/such/dir/fig.png", dir);
    assert_int_not_equal(cm_figure_save(fig, path), CM_OK);
    assert_non_null(strstr(cm_errmsg(), "no/such/dir"));
    cm_figure_free(fig);
    cmt_tmpdir_remove(dir);
}

/* A 2 x 100 heatmap: with square bins it is a thin strip across the middle of the panel; stretched,
 * it fills the panel, so a pixel a quarter of the way down is coloured only then. */
static int stretched_pixel_is_coloured(int stretch)
{
    cm_figure *fig;
    assert_int_equal(cm_figure_create(&fig, 1, 1, 400, 200, NULL), CM_OK);
    double v[2 * 100];
    for (int i = 0; i < 200; i++)
        v[i] = i % 100;
    cm_panel *p = cm_figure_panel(fig, 0, 0);
    assert_int_equal(cm_panel_heatmap(p, v, 2, 100, CM_CMAP_VIRIDIS, NAN, NAN), CM_OK);
    if (stretch)
        cm_panel_heatmap_stretch(p);
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/strip.png", dir);
    assert_int_equal(cm_figure_save(fig, path), CM_OK);
    cm_image img;
    assert_int_equal(cm_png_read(path, &img), CM_OK);
    const uint8_t *px = img.pixels + ((size_t)(img.height / 4) * img.width + img.width / 2) * img.channels;
    const int coloured = !(px[0] > 240 && px[1] > 240 && px[2] > 240);
    cm_image_free(&img);
    cm_figure_free(fig);
    cmt_tmpdir_remove(dir);
    return coloured;
}

static void test_heatmap_stretch(void **state)
{
    (void)state;
    assert_false(stretched_pixel_is_coloured(0));
    assert_true(stretched_pixel_is_coloured(1));
    cm_panel_heatmap_stretch(NULL); /* harmless */
}

/* A grid sized for more rows than are filled is drawn without the empty trailing rows; an
 * empty row between filled ones keeps its place, and a figure with nothing keeps one row. */
static void test_empty_trailing_rows(void **state)
{
    (void)state;
    cm_figure *fig;
    assert_int_equal(cm_figure_create(&fig, 5, 2, 100, 80, "five rows, two used"), CM_OK);
    int W, H;
    cm_figure_size(fig, &W, &H);
    assert_int_equal(W, 200);
    assert_int_equal(H, 80 + 28);
    const double x[2] = {0, 1}, y[2] = {1, 2};
    assert_int_equal(cm_panel_line(cm_figure_panel(fig, 0, 0), x, y, 2, CM_BLACK, 1), CM_OK);
    assert_int_equal(cm_panel_title(cm_figure_panel(fig, 2, 1), "only a title"), CM_OK);
    cm_figure_size(fig, &W, &H);
    assert_int_equal(H, 3 * 80 + 28);
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/rows.png", dir);
    assert_int_equal(cm_figure_save(fig, path), CM_OK);
    cm_image img;
    assert_int_equal(cm_png_read(path, &img), CM_OK);
    assert_int_equal(img.width, 200);
    assert_int_equal(img.height, 3 * 80 + 28);
    cm_image_free(&img);
    cm_figure_free(fig);
    cmt_tmpdir_remove(dir);
}

static void test_colormaps(void **state)
{
    (void)state;
    /* viridis runs dark purple -> yellow, jet dark blue -> dark red, NaN is light grey */
    cm_rgb a = cm_colormap_at(CM_CMAP_VIRIDIS, 0), b = cm_colormap_at(CM_CMAP_VIRIDIS, 1);
    assert_true(fabs(a.r - 0x44 / 255.0) < 1e-9 && fabs(b.g - 0xe7 / 255.0) < 1e-9);
    assert_true(b.r + b.g > a.r + a.g);
    cm_rgb j0 = cm_colormap_at(CM_CMAP_JET, 0), j1 = cm_colormap_at(CM_CMAP_JET, 1);
    assert_true(j0.b == 0.5 && j0.r == 0 && j1.r == 0.5 && j1.b == 0);
    cm_rgb n = cm_colormap_at(CM_CMAP_JET, NAN);
    assert_true(n.r == n.g && n.g == n.b && n.r > 0.8);
    /* clamped outside [0, 1] */
    cm_rgb c = cm_colormap_at(CM_CMAP_GRAY, 7);
    assert_true(c.r == 1);
    /* viridis' lightness rises monotonically (perceptual order) */
    double last = -1;
    for (int i = 0; i <= 100; i++) {
        cm_rgb v = cm_colormap_at(CM_CMAP_VIRIDIS, i / 100.0);
        const double lum = 0.2126 * v.r + 0.7152 * v.g + 0.0722 * v.b;
        assert_true(lum > last - 1e-12);
        last = lum;
    }
    cm_colormap m;
    assert_int_equal(cm_colormap_parse("jet", &m), CM_OK);
    assert_int_equal(m, CM_CMAP_JET);
    assert_int_equal(cm_colormap_parse("parula", &m), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "viridis"));
}

static void test_bad_arguments(void **state)
{
    (void)state;
    cm_figure *fig = (cm_figure *)1;
    assert_int_equal(cm_figure_create(&fig, 0, 3, 100, 100, NULL), CM_ERR_ARG);
    assert_null(fig);
    assert_int_equal(cm_figure_create(&fig, 2, 2, 5, 100, NULL), CM_ERR_ARG);
    assert_int_equal(cm_figure_create(&fig, 2, 2, 100, 100, NULL), CM_OK);
    assert_null(cm_figure_panel(fig, 2, 0));
    cm_panel *p = cm_figure_panel(fig, 1, 1);
    double v[4] = {1, 2, 3, 4};
    assert_int_equal(cm_panel_heatmap(p, v, 0, 4, CM_CMAP_JET, NAN, NAN), CM_ERR_ARG);
    assert_int_equal(cm_panel_heatmap(p, v, 2, 2, (cm_colormap)99, NAN, NAN), CM_ERR_ARG);
    assert_int_equal(cm_panel_colorbar(p), CM_ERR_ARG); /* no heatmap yet */
    assert_int_equal(cm_panel_line(p, NULL, v, 4, CM_BLACK, 1), CM_ERR_ARG);
    assert_int_equal(cm_panel_hist(p, v, 4, 0, NAN, NAN, CM_BLACK), CM_ERR_ARG);
    assert_int_equal(cm_panel_text(p, 0.5, 0.5, "x", -1, CM_BLACK), CM_ERR_ARG);
    assert_int_equal(cm_panel_circle(p, 0, 0, -1, CM_BLACK, 1), CM_ERR_ARG);
    /* all-NaN and constant data still draw */
    double nan4[4] = {NAN, NAN, NAN, NAN};
    assert_int_equal(cm_panel_heatmap(p, nan4, 2, 2, CM_CMAP_JET, NAN, NAN), CM_OK);
    p = cm_figure_panel(fig, 0, 0);
    assert_int_equal(cm_panel_line(p, v, nan4, 4, CM_BLACK, 1), CM_OK);
    assert_int_equal(cm_panel_hist(cm_figure_panel(fig, 0, 1), nan4, 4, 5, NAN, NAN, CM_BLACK), CM_OK);
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/degenerate.png", dir);
    assert_int_equal(cm_figure_save(fig, path), CM_OK);
    assert_true(file_size(path) > 100);
    cm_figure_free(fig);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_svg_pdf),
        cmocka_unit_test(test_heatmap_stretch),
        cmocka_unit_test(test_empty_trailing_rows),
        cmocka_unit_test(test_colormaps),
        cmocka_unit_test(test_bad_arguments),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    cm_plot_release_caches(); /* fontconfig's caches, for LeakSanitizer */
    return failed;
}
