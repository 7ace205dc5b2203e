/* The native encoded container: identifiers, field-level filters, CLKs, with a versioned
 * JSON header and a SHA-256 checksum. Layout in docs/format.md. */
#include "tznr/container.h"
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "crypto.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "schema_internal.h"
#include "unicode.h"

#define MAGIC "TZNRENC"   /* 7 chars + NUL = 8 bytes */
#define HEADER_MAX (1u << 20)
#define ID_MAX 1024
#define FILE_MAX ((size_t)16 << 30)
#define MAX_FIELDS 64

struct tznr_container {
    size_t nf;
    char *names[MAX_FIELDS];
    char *groups[MAX_FIELDS];   /* linkage group of each field, NULL = none */
    double levels[MAX_FIELDS][TZNR__MAX_LEVELS];
    unsigned n_levels[MAX_FIELDS];
    size_t field_bits, clk_bits, rec_bytes;
    uint8_t fingerprint[32];
    char *id_column;
    size_t n, cap;
    uint8_t *data;          /* n * rec_bytes */
    char *ids;              /* NUL-separated identifiers */
    size_t *id_off;         /* n + 1 offsets into ids (start of each) */
    size_t ids_len, ids_cap;
};

static tznr_container_t *alloc_container(void) { return tznr__calloc(1, sizeof(tznr_container_t)); }

void tznr_container_free(tznr_container_t *c)
{
    if (!c)
        return;
    for (size_t f = 0; f < c->nf; f++) {
        tznr__free(c->names[f]);
        tznr__free(c->groups[f]);
    }
    tznr__free(c->id_column);
    tznr__free(c->data);
    tznr__free(c->ids);
    tznr__free(c->id_off);
    tznr__free(c);
}

static void set_layout(tznr_container_t *c)
{
    c->rec_bytes = c->nf * (c->field_bits / 8) + c->clk_bits / 8;
}

tznr_error_t tznr_container_new(tznr_container_t **out, const tznr_schema_t *s)
{
    if (out)
        *out = NULL;
    if (!out || !s)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    tznr_container_t *c = alloc_container();
    if (!c)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n_features; i++) {
        const tznr__feature *f = &s->features[i];
        if (f->ignored || !f->compare)
            continue;
        if (c->nf == MAX_FIELDS) {
            tznr_container_free(c);
            return tznr__err(TZNR_EINVAL, "more than %d compared fields", MAX_FIELDS);
        }
        c->names[c->nf] = tznr__strndup(f->name, strlen(f->name));
        memcpy(c->levels[c->nf], f->levels, sizeof f->levels);
        c->n_levels[c->nf] = f->n_levels;
        c->groups[c->nf] = f->group ? tznr__strndup(f->group, strlen(f->group)) : NULL;
        if (!c->names[c->nf++] || (f->group && !c->groups[c->nf - 1])) {
            tznr_container_free(c);
            return tznr__err(TZNR_ENOMEM, "out of memory");
        }
    }
    if (c->nf == 0) {
        tznr_container_free(c);
        return tznr__err(TZNR_EINVAL, "the schema has no field to compare");
    }
    if (s->id_index >= 0) {
        const char *idn = s->features[s->id_index].name;
        if (!(c->id_column = tznr__strndup(idn, strlen(idn)))) {
            tznr_container_free(c);
            return tznr__err(TZNR_ENOMEM, "out of memory");
        }
    }
    c->field_bits = c->clk_bits = s->l;
    memcpy(c->fingerprint, s->fingerprint, 32);
    set_layout(c);
    *out = c;
    return TZNR_OK;
}

static tznr_error_t reserve(tznr_container_t *c, size_t n_more, size_t id_bytes)
{
    if (c->n + n_more > c->cap) {
        size_t cap = c->cap ? c->cap : 256;
        while (cap < c->n + n_more)
            cap *= 2;
        if (cap > SIZE_MAX / (c->rec_bytes ? c->rec_bytes : 1))
            return tznr__err(TZNR_ENOMEM, "out of memory");
        uint8_t *d = tznr__realloc(c->data, cap * c->rec_bytes);
        if (!d)
            return tznr__err(TZNR_ENOMEM, "out of memory");
        c->data = d;
        size_t *o = tznr__realloc(c->id_off, (cap + 1) * sizeof *o);
        if (!o)
            return tznr__err(TZNR_ENOMEM, "out of memory");
        c->id_off = o;
        c->cap = cap;
    }
    if (c->ids_len + id_bytes > c->ids_cap) {
        size_t cap = c->ids_cap ? c->ids_cap : 4096;
        while (cap < c->ids_len + id_bytes)
            cap *= 2;
        char *b = tznr__realloc(c->ids, cap);
        if (!b)
            return tznr__err(TZNR_ENOMEM, "out of memory");
        c->ids = b;
        c->ids_cap = cap;
    }
    if (c->n == 0 && c->id_off)
        c->id_off[0] = 0;
    return TZNR_OK;
}

static tznr_error_t check_id(const char *id, size_t len)
{
    size_t bad;
    if (len > ID_MAX)
        return tznr__err(TZNR_EINVAL, "record identifier longer than %d bytes", ID_MAX);
    if (memchr(id, '\0', len))
        return tznr__err(TZNR_EINVAL, "record identifier contains a NUL byte");
    if (!tznr__utf8_valid(id, len, &bad))
        return tznr__err(TZNR_EINVAL, "record identifier is not valid UTF-8 (byte %zu)", bad);
    return TZNR_OK;
}

tznr_error_t tznr_container_append(tznr_container_t *c, const char *id, size_t id_len,
                                   const uint8_t *fields, size_t fields_len, const uint8_t *clk,
                                   size_t clk_len)
{
    if (!c || (!id && id_len) || !fields || !clk)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (fields_len != c->nf * (c->field_bits / 8) || clk_len != c->clk_bits / 8)
        return tznr__err(TZNR_EBUFSIZE, "expected %zu bytes of field filters and %zu of CLK",
                         c->nf * (c->field_bits / 8), c->clk_bits / 8);
    tznr_error_t rc = check_id(id ? id : "", id_len);
    if (rc || (rc = reserve(c, 1, id_len + 1)))
        return rc;
    uint8_t *rec = c->data + c->n * c->rec_bytes;
    memcpy(rec, fields, fields_len);
    memcpy(rec + fields_len, clk, clk_len);
    if (id_len)
        memcpy(c->ids + c->ids_len, id, id_len);
    c->ids[c->ids_len + id_len] = '\0';
    c->id_off[c->n] = c->ids_len;
    c->ids_len += id_len + 1;
    c->n++;
    c->id_off[c->n] = c->ids_len;
    return TZNR_OK;
}

size_t tznr_container_count(const tznr_container_t *c) { return c ? c->n : 0; }
size_t tznr_container_field_count(const tznr_container_t *c) { return c ? c->nf : 0; }
size_t tznr_container_field_bits(const tznr_container_t *c) { return c ? c->field_bits : 0; }
size_t tznr_container_clk_bits(const tznr_container_t *c) { return c ? c->clk_bits : 0; }

const char *tznr_container_field_name(const tznr_container_t *c, size_t f)
{
    return c && f < c->nf ? c->names[f] : NULL;
}

const char *tznr_container_field_group(const tznr_container_t *c, size_t f)
{
    return c && f < c->nf ? c->groups[f] : NULL;
}

size_t tznr_container_field_levels(const tznr_container_t *c, size_t f, double *thr, size_t cap)
{
    if (!c || f >= c->nf)
        return 0;
    for (size_t i = 0; thr && i < c->n_levels[f] && i < cap; i++)
        thr[i] = c->levels[f][i];
    return c->n_levels[f];
}

const char *tznr_container_id(const tznr_container_t *c, size_t r, size_t *len)
{
    if (!c || r >= c->n)
        return NULL;
    if (len)
        *len = c->id_off[r + 1] - c->id_off[r] - 1;
    return c->ids + c->id_off[r];
}

const uint8_t *tznr_container_field_filter(const tznr_container_t *c, size_t r, size_t f)
{
    if (!c || r >= c->n || f >= c->nf)
        return NULL;
    return c->data + r * c->rec_bytes + f * (c->field_bits / 8);
}

const uint8_t *tznr_container_clk(const tznr_container_t *c, size_t r)
{
    if (!c || r >= c->n)
        return NULL;
    return c->data + r * c->rec_bytes + c->nf * (c->field_bits / 8);
}

tznr_error_t tznr_container_fingerprint(const tznr_container_t *c, uint8_t *out, size_t out_len)
{
    if (!c || !out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (out_len != 32)
        return tznr__err(TZNR_EBUFSIZE, "a fingerprint is 32 bytes");
    memcpy(out, c->fingerprint, 32);
    return TZNR_OK;
}

tznr_error_t tznr_container_clks(const tznr_container_t *c, tznr_clkset_t **out)
{
    if (out)
        *out = NULL;
    if (!c || !out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    tznr_clkset_t *s = NULL;
    tznr_error_t rc = tznr_clkset_new(&s, c->clk_bits);
    for (size_t r = 0; !rc && r < c->n; r++)
        rc = tznr_clkset_append(s, tznr_container_clk(c, r), c->clk_bits / 8);
    if (rc) {
        tznr_clkset_free(s);
        return rc;
    }
    *out = s;
    return TZNR_OK;
}

/* ---- serialisation ---------------------------------------------------------------------- */

static void put_u16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void hex(char *out, const uint8_t *in, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static char *header_json(const tznr_container_t *c)
{
    char fp[65];
    hex(fp, c->fingerprint, 32);
    json_t *fields = json_array();
    for (size_t f = 0; fields && f < c->nf; f++) {
        json_t *lv = json_array();
        for (unsigned i = 0; lv && i < c->n_levels[f]; i++)
            json_array_append_new(lv, json_real(c->levels[f][i]));
        json_array_append_new(fields, json_pack("{s:s, s:o, s:s*}", "name", c->names[f], "levels",
                                                lv, "group", c->groups[f]));
    }
    json_t *h = json_pack("{s:s, s:I, s:I, s:I, s:o, s:s, s:s?}", "format", "tznr-encodings",
                          "records", (json_int_t)c->n, "clk_bits", (json_int_t)c->clk_bits,
                          "field_bits", (json_int_t)c->field_bits, "fields", fields,
                          "schema_fingerprint", fp, "id_column", c->id_column);
    char *text = h ? json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(h);
    return text;
}

tznr_error_t tznr_container_write(const tznr_container_t *c, const char *path, int force)
{
    if (!c || !path)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    char *hdr = header_json(c);
    if (!hdr)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    size_t hlen = strlen(hdr);
    /* the whole image in memory, so that the checksum covers exactly what is written */
    size_t total = 16 + hlen + 4 * c->n + (c->ids_len - c->n) + c->n * c->rec_bytes + 32;
    uint8_t *img = tznr__malloc(total);
    if (!img) {
        free(hdr);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    memcpy(img, MAGIC, 8);
    put_u16(img + 8, TZNR_CONTAINER_FORMAT_MAJOR);
    put_u16(img + 10, TZNR_CONTAINER_FORMAT_MINOR);
    put_u32(img + 12, (uint32_t)hlen);
    memcpy(img + 16, hdr, hlen);
    free(hdr);
    size_t o = 16 + hlen;
    for (size_t r = 0; r < c->n; r++) {
        size_t len;
        const char *id = tznr_container_id(c, r, &len);
        put_u32(img + o, (uint32_t)len);
        memcpy(img + o + 4, id, len);
        o += 4 + len;
    }
    if (c->n)
        memcpy(img + o, c->data, c->n * c->rec_bytes);
    o += c->n * c->rec_bytes;
    tznr_error_t rc = tznr__sha256(img + o, img, o);
    if (rc) {
        tznr__free(img);
        return rc;
    }
    tznr__out out;
    if ((rc = tznr__out_open(&out, path, force))) {
        tznr__free(img);
        return rc;
    }
    if (fwrite(img, 1, total, out.fp) != total) {
        tznr__out_abort(&out);
        rc = tznr__err(TZNR_EIO, "%s: write failed", path);
    } else {
        rc = tznr__out_commit(&out);
    }
    tznr__free(img);
    return rc;
}

#define FAIL(...) do { rc = tznr__err(TZNR_EFORMAT, __VA_ARGS__); goto done; } while (0)

static int get_size(json_t *h, const char *key, size_t lo, size_t hi, size_t *out)
{
    json_t *v = json_object_get(h, key);
    if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)lo ||
        (uint64_t)json_integer_value(v) > hi)
        return 0;
    *out = (size_t)json_integer_value(v);
    return 1;
}

/* optional fields[f].group (linkage groups, docs/format.md): a group has at least 2 members
 * with the same levels, and its name is not the name of a field outside it */
static tznr_error_t read_groups(tznr_container_t *c, json_t *fields, const char *name)
{
    tznr_error_t rc = TZNR_OK;
    for (size_t f = 0; f < c->nf; f++) {
        json_t *g = json_object_get(json_array_get(fields, f), "group");
        if (!g || json_is_null(g))
            continue;
        if (!json_is_string(g) || json_string_length(g) == 0 || json_string_length(g) > 256 ||
            strlen(json_string_value(g)) != json_string_length(g))
            FAIL("%s: header: fields[%zu].group must be a group name of 1 to 256 bytes", name, f);
        if (!(c->groups[f] = tznr__strndup(json_string_value(g), json_string_length(g)))) {
            rc = tznr__err(TZNR_ENOMEM, "out of memory");
            goto done;
        }
    }
    for (size_t f = 0; f < c->nf; f++) {
        if (!c->groups[f])
            continue;
        size_t members = 0, first = f;
        for (size_t k = 0; k < c->nf; k++) {
            if (!c->groups[k] || strcmp(c->groups[k], c->groups[f]) != 0)
                continue;
            if (!members++)
                first = k;
            if (c->n_levels[k] != c->n_levels[first] ||
                memcmp(c->levels[k], c->levels[first], c->n_levels[k] * sizeof(double)) != 0)
                FAIL("%s: header: fields[%zu].levels must equal fields[%zu].levels (same "
                     "linkage group)", name, k, first);
        }
        if (members < 2)
            FAIL("%s: header: fields[%zu].group: a linkage group needs at least 2 fields", name, f);
        for (size_t k = 0; k < c->nf; k++)
            if (strcmp(c->names[k], c->groups[f]) == 0 &&
                (!c->groups[k] || strcmp(c->groups[k], c->groups[f]) != 0))
                FAIL("%s: header: fields[%zu].group is the name of fields[%zu], which is not in "
                     "the group", name, f, k);
    }
done:
    return rc;
}

tznr_error_t tznr_container_read(tznr_container_t **out, const char *path)
{
    if (out)
        *out = NULL;
    if (!out || !path)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    char *buf = NULL;
    size_t len = 0;
    tznr_error_t rc = tznr__read_file(path, FILE_MAX, &buf, &len);
    if (rc)
        return rc;
    const uint8_t *b = (const uint8_t *)buf;
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    json_t *h = NULL;
    tznr_container_t *c = NULL;
    if (len < 16 || memcmp(b, MAGIC, 8) != 0)
        FAIL("%s: not a tznr container (bad magic at offset 0)", name);
    unsigned major = (unsigned)b[8] | (unsigned)b[9] << 8;
    if (major != TZNR_CONTAINER_FORMAT_MAJOR)
        FAIL("%s: container format version %u.x; this library reads %d.x", name, major,
             TZNR_CONTAINER_FORMAT_MAJOR);
    if (len < 16 + 32)
        FAIL("%s: truncated (%zu bytes)", name, len);
    uint8_t sum[32];
    if ((rc = tznr__sha256(sum, b, len - 32)))
        goto done;
    if (!tznr__ct_equal(sum, b + len - 32, 32))
        FAIL("%s: checksum mismatch: the file is truncated or corrupted", name);
    size_t hlen = get_u32(b + 12);
    if (hlen == 0 || hlen > HEADER_MAX || 16 + hlen > len - 32)
        FAIL("%s: header length %zu at offset 12 is out of range", name, hlen);
    if ((rc = tznr__json_load(&h, buf + 16, hlen, name, TZNR_EFORMAT)))   /* or ENOMEM */
        goto done;
    json_t *fmt = json_object_get(h, "format");
    if (!json_is_object(h) || !json_is_string(fmt) || strcmp(json_string_value(fmt), "tznr-encodings") != 0)
        FAIL("%s: header: \"format\" must be \"tznr-encodings\"", name);
    if (!(c = alloc_container())) {
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
        goto done;
    }
    size_t n;
    if (!get_size(h, "records", 0, SIZE_MAX / 2, &n))
        FAIL("%s: header: \"records\" must be a non-negative integer", name);
    if (!get_size(h, "clk_bits", 64, 1u << 20, &c->clk_bits) || c->clk_bits % 64 ||
        !get_size(h, "field_bits", 64, 1u << 20, &c->field_bits) || c->field_bits % 64)
        FAIL("%s: header: \"clk_bits\" and \"field_bits\" must be positive multiples of 64", name);
    json_t *fields = json_object_get(h, "fields");
    if (!json_is_array(fields) || json_array_size(fields) == 0 || json_array_size(fields) > MAX_FIELDS)
        FAIL("%s: header: \"fields\" must be an array of 1 to %d fields", name, MAX_FIELDS);
    for (size_t f = 0; f < json_array_size(fields); f++) {
        json_t *fj = json_array_get(fields, f), *nm = json_object_get(fj, "name"),
               *lv = json_object_get(fj, "levels");
        if (!json_is_string(nm) || !json_is_array(lv) || json_array_size(lv) == 0 ||
            json_array_size(lv) > TZNR__MAX_LEVELS)
            FAIL("%s: header: fields[%zu] needs a \"name\" and 1 to 15 \"levels\"", name, f);
        c->names[f] = tznr__strndup(json_string_value(nm), strlen(json_string_value(nm)));
        c->nf = f + 1;
        if (!c->names[f]) {
            rc = tznr__err(TZNR_ENOMEM, "out of memory");
            goto done;
        }
        c->n_levels[f] = (unsigned)json_array_size(lv);
        for (size_t i = 0; i < c->n_levels[f]; i++) {
            json_t *x = json_array_get(lv, i);
            double d = json_is_number(x) ? json_number_value(x) : -1;
            if (!(d > 0 && d <= 1) || (i && !(d < c->levels[f][i - 1])))
                FAIL("%s: header: fields[%zu].levels[%zu] must be a decreasing Dice threshold "
                     "in (0, 1]", name, f, i);
            c->levels[f][i] = d;
        }
    }
    if ((rc = read_groups(c, fields, name)))
        goto done;
    json_t *fpj = json_object_get(h, "schema_fingerprint");
    const char *fps = json_is_string(fpj) ? json_string_value(fpj) : "";
    if (strlen(fps) != 64)
        FAIL("%s: header: \"schema_fingerprint\" must be 64 hex digits", name);
    for (size_t i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(fps + 2 * i, "%2x", &v) != 1)
            FAIL("%s: header: \"schema_fingerprint\" must be 64 hex digits", name);
        c->fingerprint[i] = (uint8_t)v;
    }
    json_t *idc = json_object_get(h, "id_column");
    if (idc && !json_is_null(idc)) {
        if (!json_is_string(idc))
            FAIL("%s: header: \"id_column\" must be a string or null", name);
        if (!(c->id_column = tznr__strndup(json_string_value(idc), strlen(json_string_value(idc))))) {
            rc = tznr__err(TZNR_ENOMEM, "out of memory");
            goto done;
        }
    }
    set_layout(c);
    size_t o = 16 + hlen, end = len - 32;
    if (n > (end - o) / (4 + c->rec_bytes))
        FAIL("%s: header says %zu records, but the file can hold at most %zu", name, n,
             (end - o) / (4 + c->rec_bytes));
    if (n && (rc = reserve(c, n, 0)))
        goto done;
    for (size_t r = 0; r < n; r++) {
        if (end - o < 4)
            FAIL("%s: truncated identifier section (record %zu of %zu)", name, r, n);
        size_t il = get_u32(b + o);
        if (il > ID_MAX || end - o - 4 < il)
            FAIL("%s: record %zu: identifier length %zu at offset %zu is out of range", name, r, il, o);
        if ((rc = check_id(buf + o + 4, il))) {
            tznr__err_prefix("%s: record %zu", name, r);
            rc = TZNR_EFORMAT;
            goto done;
        }
        if ((rc = reserve(c, 1, il + 1)))
            goto done;
        memcpy(c->ids + c->ids_len, buf + o + 4, il);
        c->ids[c->ids_len + il] = '\0';
        c->id_off[r] = c->ids_len;
        c->ids_len += il + 1;
        c->id_off[r + 1] = c->ids_len;
        o += 4 + il;
    }
    if (n && (end - o) / n < c->rec_bytes)
        FAIL("%s: data section holds %zu bytes, %zu records need %zu each", name, end - o, n, c->rec_bytes);
    if (end - o != n * c->rec_bytes)
        FAIL("%s: %zu unexpected bytes after the data section", name, end - o - n * c->rec_bytes);
    if (n)
        memcpy(c->data, b + o, n * c->rec_bytes);
    c->n = n;
    *out = c;
    c = NULL;
done:
    json_decref(h);
    tznr_container_free(c);
    tznr__free(buf);
    return rc;
}
