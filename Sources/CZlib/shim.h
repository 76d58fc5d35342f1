#include <zlib.h>

/// `inflateInit2` is a macro; Swift needs a function. `windowBits` 15 + 32 accepts gzip and zlib.
static inline int czlib_inflate_init_auto(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}
