/* A growable array of equal-length filters, and its clkhash JSON form. */
#include "tznr/clkset.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "clkset_internal.h"
#include "crypto.h"
#include "error.h"
#include "fileio.h"
#include "json.h"

#define MAX_FILTER_BITS ((size_t)1 << 20)
#define MAX_JSON_BYTES (SIZE_MAX > 0xFFFFFFFFu ? (size_t)0x100000000ull : SIZE_MAX)

struct tznr_clkset {
    size_t bits;   /* 0 only for a set read from an empty "clks" array */
    size_t bytes;  /* bits / 8 */
    size_t count, cap;
    uint8_t *data;
};

static tznr_error_t set_alloc(tznr_clkset_t **out, size_t bits)
{
    tznr_clkset_t *s = tznr__calloc(1, sizeof *s);
    if (!s)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    s->bits = bits;
    s->bytes = bits / 8;
    *out = s;
    return TZNR_OK;
}

tznr_error_t tznr_clkset_new(tznr_clkset_t **out, size_t filter_bits)
{
    if (!out)
        return tznr__err(TZNR_EINVAL, "tznr_clkset_new: out is NULL");
    *out = NULL;
    if (filter_bits == 0 || filter_bits % 64 != 0 || filter_bits > MAX_FILTER_BITS)
        return tznr__err(TZNR_EINVAL,
                         "tznr_clkset_new: filter length %zu bits is not a positive multiple "
                         "of 64 up to %zu",
                         filter_bits, MAX_FILTER_BITS);
    return set_alloc(out, filter_bits);
}

void tznr_clkset_free(tznr_clkset_t *set)
{
    if (!set)
        return;
    tznr__free(set->data);
    tznr__free(set);
}

static tznr_error_t reserve(tznr_clkset_t *set, size_t n)
{
    if (n <= set->cap)
        return TZNR_OK;
    size_t ncap = set->cap ? set->cap : 16;
    while (ncap < n) {
        if (ncap > SIZE_MAX / 2)
            return tznr__err(TZNR_ENOMEM, "out of memory");
        ncap *= 2;
    }
    if (set->bytes && ncap > SIZE_MAX / set->bytes)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    uint8_t *nd = tznr__realloc(set->data, ncap * set->bytes);
    if (!nd)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    set->data = nd;
    set->cap = ncap;
    return TZNR_OK;
}

tznr_error_t tznr_clkset_append(tznr_clkset_t *set, const uint8_t *filter, size_t filter_len)
{
    if (!set || !filter)
        return tznr__err(TZNR_EINVAL, "tznr_clkset_append: NULL argument");
    if (set->bytes == 0 || filter_len != set->bytes)
        return tznr__err(TZNR_EBUFSIZE,
                         "tznr_clkset_append: filter of %zu bytes, the set holds %zu-byte filters",
                         filter_len, set->bytes);
    tznr_error_t rc = reserve(set, set->count + 1);
    if (rc)
        return rc;
    memcpy(set->data + set->count * set->bytes, filter, filter_len);
    set->count++;
    return TZNR_OK;
}

size_t tznr_clkset_count(const tznr_clkset_t *set) { return set ? set->count : 0; }

size_t tznr_clkset_filter_bits(const tznr_clkset_t *set) { return set ? set->bits : 0; }

const uint8_t *tznr_clkset_get(const tznr_clkset_t *set, size_t index)
{
    if (!set || index >= set->count)
        return NULL;
    return set->data + index * set->bytes;
}

static tznr_error_t read_clks(tznr_clkset_t **out, const char *name, json_t *root)
{
    if (!json_is_object(root))
        return tznr__err(TZNR_EFORMAT, "%s: the top level is not a JSON object", name);
    json_t *clks = json_object_get(root, "clks");
    if (!clks)
        return tznr__err(TZNR_EFORMAT, "%s: no \"clks\" key", name);
    if (!json_is_array(clks))
        return tznr__err(TZNR_EFORMAT, "%s: \"clks\" is not an array", name);
    size_t n = json_array_size(clks);
    if (n == 0)
        return set_alloc(out, 0);

    tznr_clkset_t *set = NULL;
    uint8_t *tmp = NULL;
    size_t tmp_cap = 0, first_len = 0;
    tznr_error_t rc = TZNR_OK;
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(clks, i);
        if (!json_is_string(item)) {
            rc = tznr__err(TZNR_EFORMAT, "%s: clks[%zu]: not a string", name, i);
            break;
        }
        const char *s = json_string_value(item);
        size_t slen = json_string_length(item);
        size_t need = 3 * (slen / 4) + 3;
        if (need > tmp_cap) {
            uint8_t *nt = tznr__realloc(tmp, need);
            if (!nt) {
                rc = tznr__err(TZNR_ENOMEM, "out of memory");
                break;
            }
            tmp = nt;
            tmp_cap = need;
        }
        size_t dlen = 0;
        if (slen == 0 || tznr__base64_decode(tmp, &dlen, s, slen) != 0) {
            rc = tznr__err(TZNR_EFORMAT, "%s: clks[%zu]: not valid base64", name, i);
            break;
        }
        if (i == 0) {
            if (dlen == 0 || dlen % 8 != 0 || dlen > MAX_FILTER_BITS / 8) {
                rc = tznr__err(TZNR_EFORMAT,
                               "%s: clks[0]: a filter of %zu bytes: the length must be a "
                               "positive multiple of 8 bytes, at most %zu",
                               name, dlen, MAX_FILTER_BITS / 8);
                break;
            }
            first_len = dlen;
            rc = set_alloc(&set, dlen * 8);
            if (!rc)
                rc = reserve(set, n);
            if (rc)
                break;
        } else if (dlen != first_len) {
            rc = tznr__err(TZNR_EFORMAT, "%s: clks[%zu]: a filter of %zu bytes, but clks[0] has %zu",
                           name, i, dlen, first_len);
            break;
        }
        memcpy(set->data + set->count * set->bytes, tmp, dlen);
        set->count++;
    }
    tznr__free(tmp);
    if (rc) {
        tznr_clkset_free(set);
        return rc;
    }
    *out = set;
    return TZNR_OK;
}

tznr_error_t tznr_clkset_read_json(tznr_clkset_t **out, const char *path)
{
    if (!out || !path)
        return tznr__err(TZNR_EINVAL, "tznr_clkset_read_json: NULL argument");
    *out = NULL;
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    char *buf = NULL;
    size_t len = 0;
    tznr_error_t rc = tznr__read_file(path, MAX_JSON_BYTES, &buf, &len);
    if (rc)
        return rc;
    json_t *root = NULL;
    rc = tznr__json_load(&root, buf, len, name, TZNR_EFORMAT);   /* EFORMAT or ENOMEM */
    tznr__free(buf);
    if (rc)
        return rc;
    rc = read_clks(out, name, root);
    json_decref(root);
    return rc;
}

/* Layout of clkhash's output (Python json.dump with indent=1) plus a final newline:
 * {\n "clks": [\n  "<b64>",\n  "<b64>"\n ]\n}\n  and  {\n "clks": []\n}\n  when empty.
 * Written as a stream: the opening at the first CLK, ",\n" before every CLK but the first,
 * the closing at commit. Lines are assembled in a 1 MiB buffer written with one fwrite
 * each time it fills. */
#define WRITE_BUF ((size_t)1 << 20)

struct tznr__clkjson {
    tznr__out o;
    size_t bytes, line_max, count, len, cap;
    char *buf;
    int bad;
};

tznr_error_t tznr__clkjson_open(tznr__clkjson **out, const char *path, int force,
                                size_t filter_bytes)
{
    *out = NULL;
    tznr__clkjson *w = tznr__calloc(1, sizeof *w);
    if (!w)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    w->bytes = filter_bytes;
    w->line_max = 4 * ((filter_bytes + 2) / 3) + 8;   /* ',\n  "' b64 '"' NUL */
    w->cap = w->line_max > WRITE_BUF ? w->line_max : WRITE_BUF;
    w->buf = tznr__malloc(w->cap);
    if (!w->buf) {
        tznr__free(w);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    tznr_error_t rc = tznr__out_open(&w->o, path, force);
    if (rc) {
        tznr__free(w->buf);
        tznr__free(w);
        return rc;
    }
    *out = w;
    return TZNR_OK;
}

static void put(tznr__clkjson *w, const char *s, size_t n)
{
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void flush_buf(tznr__clkjson *w)
{
    if (w->len && !w->bad)
        w->bad = fwrite(w->buf, 1, w->len, w->o.fp) != w->len;
    w->len = 0;
}

static tznr_error_t write_error(tznr__clkjson *w)
{
    int e = errno;
    return tznr__err(TZNR_EIO, "%s: write error: %s", w->o.path, strerror(e));
}

tznr_error_t tznr__clkjson_write(tznr__clkjson *w, const uint8_t *clks, size_t n)
{
    for (size_t i = 0; i < n && !w->bad; i++) {
        if (w->cap - w->len < w->line_max + 16)
            flush_buf(w);
        if (w->count == 0)
            put(w, "{\n \"clks\": [\n  \"", strlen("{\n \"clks\": [\n  \""));
        else
            put(w, ",\n  \"", strlen(",\n  \""));
        w->len += tznr__base64_encode(w->buf + w->len, clks + i * w->bytes, w->bytes);
        put(w, "\"", 1);
        w->count++;
    }
    return w->bad ? write_error(w) : TZNR_OK;
}

tznr_error_t tznr__clkjson_commit(tznr__clkjson *w)
{
    if (w->count == 0)
        put(w, "{\n \"clks\": []\n}\n", strlen("{\n \"clks\": []\n}\n"));
    else
        put(w, "\n ]\n}\n", strlen("\n ]\n}\n"));
    flush_buf(w);
    tznr_error_t rc;
    if (w->bad) {
        rc = write_error(w);
        tznr__out_abort(&w->o);
    } else {
        rc = tznr__out_commit(&w->o);
    }
    tznr__free(w->buf);
    tznr__free(w);
    return rc;
}

void tznr__clkjson_abort(tznr__clkjson *w)
{
    if (!w)
        return;
    tznr__out_abort(&w->o);
    tznr__free(w->buf);
    tznr__free(w);
}

tznr_error_t tznr_clkset_write_json(const tznr_clkset_t *set, const char *path, int force)
{
    if (!set || !path)
        return tznr__err(TZNR_EINVAL, "tznr_clkset_write_json: NULL argument");
    tznr__clkjson *w;
    tznr_error_t rc = tznr__clkjson_open(&w, path, force, set->bytes);
    if (rc)
        return rc;
    rc = tznr__clkjson_write(w, set->data, set->count);
    if (rc) {
        tznr__clkjson_abort(w);
        return rc;
    }
    return tznr__clkjson_commit(w);
}
