/* Decode a PNG with the system's libpng 1.6 as an application would, for tests:
 * expand palette, grey and tRNS to RGBA, scale 16-bit samples to 8 (png_set_scale_16),
 * read every row (Adam7 passes included) and then the chunks after the image
 * (png_read_end), with libpng's default handling of benign errors (warnings on read).
 *
 *   libpng_decode FILE
 *
 * Prints "OK W H\n" then W*H*4 bytes of RGBA on stdout and exits 0, or prints "ERROR\n"
 * and exits 2. libpng's warnings and its error message go to stderr, one a line.
 */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    fprintf(stderr, "warning: %s\n", msg);
}

static void on_error(png_structp png, png_const_charp msg) {
    fprintf(stderr, "error: %s\n", msg);
    longjmp(png_jmpbuf(png), 1);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 64;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 66;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
    png_infop info = png_create_info_struct(png);
    png_infop end = png_create_info_struct(png);
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        puts("ERROR");
        return 2;
    }
    png_init_io(png, f);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    png_set_expand(png);
    png_set_scale_16(png);
    png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t stride = png_get_rowbytes(png, info);
    if (stride != (size_t)w * 4) {
        fprintf(stderr, "error: unexpected row size %zu\n", stride);
        puts("ERROR");
        return 2;
    }
    pixels = malloc(stride * h);
    rows = malloc(sizeof(png_bytep) * h);
    for (png_uint_32 y = 0; y < h; y++) rows[y] = pixels + y * stride;
    png_read_image(png, rows);
    png_read_end(png, end);
    printf("OK %u %u\n", w, h);
    fwrite(pixels, 1, stride * h, stdout);
    return 0;
}
