#include <zlib.h>

/// `inflateInit2` is a macro; Swift needs a function. `windowBits` 15 + 32 accepts gzip and zlib.
static inline int czlib_inflate_init_auto(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}

/// Raw deflate (no header), for `Content-Encoding: deflate` sent without its zlib wrapper.
static inline int czlib_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -15);
}

/// `deflateInit2` for a gzip member (`windowBits` 15 + 16) at `level`.
static inline int czlib_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
