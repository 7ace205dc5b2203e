/* Value derivation across the columns of one row: qualified codes and a code-history table
 * (tznr extension features[i].derive; see derive.h and docs/schema.md). */
#include "derive.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "normalise.h"
#include "unicode.h"

#define TABLE_MAX 1000000
#define PATH_MAX_LEN 384

enum { ESC = 200 };

static tznr_error_t nomem(void)
{
    return tznr__err(TZNR_ENOMEM, "out of memory while loading the linkage schema");
}

static tznr_error_t type_err(const char *path, const char *key, const char *expected)
{
    return tznr__err(TZNR_ESCHEMA, "%s.%s: expected %s", path, key, expected);
}

/* Optional string member; *out NULL when absent. */
static tznr_error_t opt_string(const json_t *o, const char *path, const char *key,
                               const char **out, size_t *len)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (len)
        *len = 0;
    if (!v)
        return TZNR_OK;
    if (!json_is_string(v))
        return type_err(path, key, "a string");
    *out = json_string_value(v);
    if (len)
        *len = json_string_length(v);
    return TZNR_OK;
}

static tznr_error_t check_keys(const json_t *o, const char *path, const char *const *allowed,
                               const char *list)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)o, key, val) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (!allowed[i]) {
            char esc[ESC];
            tznr__show(esc, sizeof esc, key, strlen(key));
            return tznr__err(TZNR_ESCHEMA, "%s.%s: unknown key (allowed here: %s)", path, esc,
                             list);
        }
    }
    return TZNR_OK;
}

static int leap(long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Strict ISO date "YYYY-MM-DD" (a real calendar day) -> YYYYMMDD; -1 if not one. */
static long iso_date(const char *s, size_t len)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    long y = strtol(s, NULL, 10), m = (s[5] - '0') * 10 + (s[6] - '0'),
         d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > dim[m - 1] + (m == 2 && leap(y)))
        return -1;
    return y * 10000 + m * 100 + d;
}

/* The code as the feature's format normalises it (validation included). */
static tznr_error_t norm_code(const tznr__feature *f, const char *path, const char *s,
                              size_t len, char **out)
{
    size_t bad, olen;
    int missing = 0;
    char esc[ESC];
    *out = NULL;
    tznr__show(esc, sizeof esc, s, len);
    if (!tznr__utf8_valid(s, len, &bad) || len == 0 || memchr(s, '\0', len))
        return tznr__err(TZNR_ESCHEMA, "%s: must be a non-empty code (got \"%s\")", path, esc);
    tznr_error_t rc = tznr__normalise(f, s, len, out, &olen, &missing);
    if (rc == TZNR_ENOMEM)
        return rc;
    if (rc || missing || !*out || olen == 0) {
        char detail[512];
        snprintf(detail, sizeof detail, "%s", rc ? tznr_last_error_message() : "a missing value");
        tznr__free(*out);
        *out = NULL;
        return tznr__err(TZNR_ESCHEMA, "%s: not a valid value of this feature's format: %s",
                         path, detail);
    }
    return TZNR_OK;
}

static tznr_error_t type_value(const char *path, const char *s, size_t len, char **out)
{
    char esc[ESC];
    size_t bad;
    tznr__show(esc, sizeof esc, s, len);
    if (len == 0 || !tznr__utf8_valid(s, len, &bad) || memchr(s, '\0', len) ||
        memchr(s, TZNR__DERIVE_SEP, len))
        return tznr__err(TZNR_ESCHEMA, "%s: must be a non-empty qualifier value without '%c' "
                         "(got \"%s\")", path, TZNR__DERIVE_SEP, esc);
    const char *st;
    size_t sl;
    tznr__utf8_strip(s, len, &st, &sl);
    if (sl != len)
        return tznr__err(TZNR_ESCHEMA, "%s: must not begin or end with white space (qualifier "
                         "values are compared stripped; got \"%s\")", path, esc);
    *out = tznr__strndup(s, len);
    return *out ? TZNR_OK : nomem();
}

static int key_cmp(const char *ta, const char *ca, const char *tb, const char *cb)
{
    int c = strcmp(ta, tb);
    return c ? c : strcmp(ca, cb);
}

static int entry_cmp(const void *x, const void *y)
{
    const tznr__hist_entry *a = x, *b = y;
    int c = key_cmp(a->type, a->code, b->type, b->code);
    if (c)
        return c;
    if (a->from != b->from)
        return a->from < b->from ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* first entry with key (type, code), or n */
static size_t find_group(const tznr__derive *d, const char *type, const char *code)
{
    size_t lo = 0, hi = d->n_table;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp(d->table[mid].type, d->table[mid].code, type, code) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < d->n_table && key_cmp(d->table[lo].type, d->table[lo].code, type, code) == 0)
        return lo;
    return d->n_table;
}

static size_t group_end(const tznr__derive *d, size_t g)
{
    size_t e = g + 1;
    while (e < d->n_table &&
           key_cmp(d->table[e].type, d->table[e].code, d->table[g].type, d->table[g].code) == 0)
        e++;
    return e;
}

/* Overlapping periods for one (type, code), and cycles among mappings (iterative DFS over
 * groups of entries; a mapping's target is the group of (toType, to)). */
static tznr_error_t check_table(const tznr__derive *d, const char *path)
{
    for (size_t i = 1; i < d->n_table; i++) {
        const tznr__hist_entry *a = &d->table[i - 1], *b = &d->table[i];
        if (key_cmp(a->type, a->code, b->type, b->code) == 0 && a->until >= b->from) {
            int same = (!a->to && !b->to) ||
                       (a->to && b->to && !strcmp(a->to, b->to) && !strcmp(a->to_type, b->to_type));
            size_t lo = a->index < b->index ? a->index : b->index;
            size_t hi = a->index < b->index ? b->index : a->index;
            char t[ESC], c[ESC];
            tznr__show(t, sizeof t, a->type, strlen(a->type));
            tznr__show(c, sizeof c, a->code, strlen(a->code));
            return tznr__err(TZNR_ESCHEMA, "%s.table[%zu]: %s entry for type \"%s\" code \"%s\": "
                             "its period overlaps that of table[%zu] (periods of one code "
                             "must not overlap)", path, hi, same ? "duplicate" : "contradictory",
                             t, c, lo);
        }
    }
    /* state: 0 unvisited, 1 on the stack, 2 done; per group (indexed by its first entry).
     * The stack holds groups and, for each, the next of its entries to follow. */
    const size_t n = d->n_table;
    unsigned char *state = tznr__calloc(n + 1, 1);
    size_t *stack = tznr__calloc(2 * (n + 1), sizeof *stack);
    if (!state || !stack) {
        tznr__free(state);
        tznr__free(stack);
        return nomem();
    }
    tznr_error_t rc = TZNR_OK;
    for (size_t root = 0; root < n && !rc; root = group_end(d, root)) {
        if (state[root])
            continue;
        size_t sp = 0;
        state[root] = 1;
        stack[0] = root;
        stack[1] = root;
        sp = 1;
        while (sp && !rc) {
            size_t g = stack[2 * (sp - 1)], e = stack[2 * (sp - 1) + 1];
            if (e >= group_end(d, g)) {   /* every entry of group g followed */
                state[g] = 2;
                sp--;
                continue;
            }
            stack[2 * (sp - 1) + 1]++;
            const tznr__hist_entry *x = &d->table[e];
            size_t t = x->to ? find_group(d, x->to_type, x->to) : n;
            if (t == n || state[t] == 2)
                continue;
            if (state[t] == 1) {
                char ty[ESC], co[ESC];
                tznr__show(ty, sizeof ty, x->type, strlen(x->type));
                tznr__show(co, sizeof co, x->code, strlen(x->code));
                rc = tznr__err(TZNR_ESCHEMA, "%s.table[%zu]: the mappings form a cycle (type \"%s\" "
                               "code \"%s\" is mapped back to itself, directly or through other "
                               "entries)", path, x->index, ty, co);
            } else {
                state[t] = 1;
                stack[2 * sp] = t;
                stack[2 * sp + 1] = t;
                sp++;
            }
        }
    }
    tznr__free(state);
    tznr__free(stack);
    return rc;
}

static tznr_error_t parse_entry(tznr__feature *f, tznr__derive *d, const json_t *ej,
                                const char *tpath, size_t j)
{
    static const char *const keys[] = {"type", "code", "from", "until", "to", "toType", NULL};
    char p[PATH_MAX_LEN + 64], q[PATH_MAX_LEN + 96];
    snprintf(p, sizeof p, "%.*s[%zu]", PATH_MAX_LEN, tpath, j);
    if (!json_is_object(ej))
        return tznr__err(TZNR_ESCHEMA, "%s: expected an object {\"type\", \"code\", \"from\", "
                         "\"until\", \"to\", \"toType\"}", p);
    tznr_error_t rc = check_keys(ej, p, keys, "type, code, from, until, to, toType");
    if (rc)
        return rc;
    tznr__hist_entry *x = &d->table[j];
    x->index = j;
    x->from = 0;
    x->until = LONG_MAX;
    const char *s;
    size_t len;
    if ((rc = opt_string(ej, p, "type", &s, &len)))
        return rc;
    snprintf(q, sizeof q, "%s.type", p);
    if (!s)
        return tznr__err(TZNR_ESCHEMA, "%s: required key is missing (the qualifier value)", q);
    if ((rc = type_value(q, s, len, &x->type)))
        return rc;
    if ((rc = opt_string(ej, p, "code", &s, &len)))
        return rc;
    snprintf(q, sizeof q, "%s.code", p);
    if (!s)
        return tznr__err(TZNR_ESCHEMA, "%s: required key is missing", q);
    if ((rc = norm_code(f, q, s, len, &x->code)))
        return rc;
    static const char *const dk[] = {"from", "until"};
    for (int k = 0; k < 2; k++) {
        if ((rc = opt_string(ej, p, dk[k], &s, &len)))
            return rc;
        if (!s)
            continue;
        long v = iso_date(s, len);
        if (v < 0) {
            char esc[ESC];
            tznr__show(esc, sizeof esc, s, len);
            return tznr__err(TZNR_ESCHEMA, "%s.%s: must be a calendar date YYYY-MM-DD (got "
                             "\"%s\")", p, dk[k], esc);
        }
        *(k ? &x->until : &x->from) = v;
        x->dated = 1;
    }
    if (x->from > x->until)
        return tznr__err(TZNR_ESCHEMA, "%s: from is after until (an empty period)", p);
    const char *to, *tt;
    size_t to_len, tt_len;
    if ((rc = opt_string(ej, p, "to", &to, &to_len)) ||
        (rc = opt_string(ej, p, "toType", &tt, &tt_len)))
        return rc;
    if (to || tt) {
        snprintf(q, sizeof q, "%s.toType", p);
        if (tt && (rc = type_value(q, tt, tt_len, &x->to_type)))
            return rc;
        if (!tt && !(x->to_type = tznr__strndup(x->type, strlen(x->type))))
            return nomem();
        snprintf(q, sizeof q, "%s.to", p);
        if (to && (rc = norm_code(f, q, to, to_len, &x->to)))
            return rc;
        if (!to && !(x->to = tznr__strndup(x->code, strlen(x->code))))
            return nomem();
        if (!strcmp(x->to, x->code) && !strcmp(x->to_type, x->type))
            return tznr__err(TZNR_ESCHEMA, "%s: maps a code to itself (a cycle)", p);
    }
    d->any_dated |= x->dated;
    return TZNR_OK;
}

tznr_error_t tznr__derive_parse(tznr__feature *f, size_t idx, const json_t *dj,
                                const char *path)
{
    static const char *const keys[] = {"qualifier", "history", NULL};
    static const char *const hkeys[] = {"dateColumn", "dateFormat", "table", NULL};
    char hp[PATH_MAX_LEN], tp[PATH_MAX_LEN + 16];
    (void)idx;
    if (!json_is_object(dj))
        return tznr__err(TZNR_ESCHEMA, "%s: expected an object {\"qualifier\": COLUMN, "
                         "\"history\": {...}}", path);
    tznr_error_t rc = check_keys(dj, path, keys, "qualifier, history");
    if (rc)
        return rc;
    tznr__derive *d = tznr__calloc(1, sizeof *d);
    if (!d)
        return nomem();
    f->derive = d;   /* freed with the feature, whatever happens below */
    d->qualifier = d->date_col = -1;
    const char *s;
    size_t len;
    if ((rc = opt_string(dj, path, "qualifier", &s, &len)))
        return rc;
    if (!s)
        return tznr__err(TZNR_ESCHEMA, "%s.qualifier: required key is missing (the column "
                         "giving the code's type)", path);
    if (!(d->qualifier_name = tznr__strndup(s, len)))
        return nomem();
    json_t *h = json_object_get(dj, "history");
    if (!h)
        return TZNR_OK;
    snprintf(hp, sizeof hp, "%.*s.history", PATH_MAX_LEN - 16, path);
    if (!json_is_object(h))
        return tznr__err(TZNR_ESCHEMA, "%s: expected an object {\"dateColumn\", \"dateFormat\", "
                         "\"table\"}", hp);
    if ((rc = check_keys(h, hp, hkeys, "dateColumn, dateFormat, table")))
        return rc;
    if ((rc = opt_string(h, hp, "dateColumn", &s, &len)))
        return rc;
    if (s && !(d->date_name = tznr__strndup(s, len)))
        return nomem();
    if ((rc = opt_string(h, hp, "dateFormat", &s, &len)))
        return rc;
    if (s && !(d->date_format = tznr__strndup(s, len)))
        return nomem();
    snprintf(tp, sizeof tp, "%s.table", hp);
    json_t *t = json_object_get(h, "table");
    if (!t)
        return tznr__err(TZNR_ESCHEMA, "%s: required key is missing (an array of entries)", tp);
    if (!json_is_array(t) || json_array_size(t) == 0 || json_array_size(t) > TABLE_MAX)
        return tznr__err(TZNR_ESCHEMA, "%s: expected an array of 1 to %d entries", tp, TABLE_MAX);
    size_t n = json_array_size(t);
    if (!(d->table = tznr__calloc(n, sizeof *d->table)))
        return nomem();
    d->n_table = n;
    for (size_t j = 0; j < n; j++)
        if ((rc = parse_entry(f, d, json_array_get(t, j), tp, j)))
            return rc;
    qsort(d->table, n, sizeof *d->table, entry_cmp);
    if ((rc = check_table(d, hp)))
        return rc;
    if (d->any_dated && !d->date_name)
        return tznr__err(TZNR_ESCHEMA, "%s.dateColumn: required key is missing (table entries "
                         "have from/until dates)", hp);
    return TZNR_OK;
}

static long feature_index(const struct tznr_schema *s, const char *name)
{
    for (size_t i = 0; i < s->n_features; i++)
        if (strcmp(s->features[i].name, name) == 0)
            return (long)i;
    return -1;
}

tznr_error_t tznr__derive_resolve(struct tznr_schema *s)
{
    for (size_t i = 0; i < s->n_features; i++) {
        tznr__feature *f = &s->features[i];
        tznr__derive *d = f->derive;
        if (!d)
            continue;
        char p[PATH_MAX_LEN], esc[ESC];
        snprintf(p, sizeof p, "features[%zu].derive", i);
        tznr__show(esc, sizeof esc, d->qualifier_name, strlen(d->qualifier_name));
        d->qualifier = feature_index(s, d->qualifier_name);
        if (d->qualifier < 0)
            return tznr__err(TZNR_ESCHEMA, "%s.qualifier: must name one of the features (got "
                             "\"%s\")", p, esc);
        if ((size_t)d->qualifier == i)
            return tznr__err(TZNR_ESCHEMA, "%s.qualifier: must name another feature (got \"%s\", "
                             "this feature)", p, esc);
        /* the table's types must be valid values of the qualifier's format */
        const tznr__feature *qf = &s->features[d->qualifier];
        for (size_t j = 0; j < d->n_table && !qf->ignored; j++) {
            const tznr__hist_entry *x = &d->table[j];
            for (int k = 0; k < 2; k++) {
                const char *v = k ? x->to_type : x->type;
                char *o = NULL, q[PATH_MAX_LEN + 48];
                if (!v)
                    continue;
                snprintf(q, sizeof q, "%s.history.table[%zu].%s", p, x->index, k ? "toType" : "type");
                tznr_error_t rc = norm_code(qf, q, v, strlen(v), &o);
                int same = !rc && strcmp(o, v) == 0;
                tznr__free(o);
                if (rc)
                    return rc;
                if (!same)
                    return tznr__err(TZNR_ESCHEMA, "%s: not in the canonical form of column "
                                     "'%s'", q, qf->name);
            }
        }
        if (!d->date_name)
            continue;
        tznr__show(esc, sizeof esc, d->date_name, strlen(d->date_name));
        d->date_col = feature_index(s, d->date_name);
        if (d->date_col < 0)
            return tznr__err(TZNR_ESCHEMA, "%s.history.dateColumn: must name one of the features "
                             "(got \"%s\")", p, esc);
        if ((size_t)d->date_col == i || d->date_col == d->qualifier)
            return tznr__err(TZNR_ESCHEMA, "%s.history.dateColumn: must name a column other than "
                             "this feature and the qualifier (got \"%s\")", p, esc);
        const tznr__feature *df = &s->features[d->date_col];
        if (d->date_format) {
            /* the same directives as format.type date (schema.c checks them the same way) */
            d->own_date.name = df->name;
            d->own_date.fmt = TZNR__FMT_DATE;
            d->own_date.date_format = d->date_format;
            d->own_date.min_length = d->own_date.max_length = -1;
            d->date_parser = &d->own_date;
            char q[PATH_MAX_LEN + 32];
            snprintf(q, sizeof q, "%s.history.dateFormat", p);
            tznr_error_t rc = tznr__schema_check_date_format(d->date_format, q);
            if (rc)
                return rc;
            /* a format without a year cannot place a row in a period */
            if (!strstr(d->date_format, "%Y") && !strstr(d->date_format, "%y"))
                return tznr__err(TZNR_ESCHEMA, "%s: must contain a year (%%Y or %%y)", q);
        } else if (!df->ignored && df->fmt == TZNR__FMT_DATE) {
            d->date_parser = df;
        } else {
            return tznr__err(TZNR_ESCHEMA, "%s.history.dateFormat: required key is missing "
                             "(column '%s' is not a date feature)", p, df->name);
        }
    }
    return TZNR_OK;
}

void tznr__derive_free(tznr__derive *d)
{
    if (!d)
        return;
    for (size_t j = 0; j < d->n_table; j++) {
        tznr__free(d->table[j].type);
        tznr__free(d->table[j].code);
        tznr__free(d->table[j].to_type);
        tznr__free(d->table[j].to);
    }
    tznr__free(d->table);
    tznr__free(d->qualifier_name);
    tznr__free(d->date_name);
    tznr__free(d->date_format);
    tznr__free(d);
}

/* ---- per row ------------------------------------------------------------------------- */

/* The row's date as YYYYMMDD, or -1 when missing (empty, or missing by the column's
 * sentinels); EINPUT when it does not parse. */
static tznr_error_t row_date(const struct tznr_schema *s, const tznr__derive *d,
                             const tznr__feature *f, const char *const *values,
                             const size_t *lens, long *out)
{
    const char *raw = values[d->date_col] ? values[d->date_col] : "";
    size_t rlen = lens[d->date_col], bad, olen = 0;
    const char *st;
    size_t sl;
    *out = -1;
    tznr__utf8_strip(raw, rlen, &st, &sl);
    if (sl == 0)
        return TZNR_OK;
    const char *col = s->features[d->date_col].name;
    if (!tznr__utf8_valid(raw, rlen, &bad))
        return tznr__err(TZNR_EINPUT, "column '%s': invalid UTF-8 at byte %zu of the value",
                         col, bad);
    char *o = NULL;
    int missing = 0;
    tznr_error_t rc = tznr__normalise(d->date_parser, raw, rlen, &o, &olen, &missing);
    if (rc) {
        if (rc == TZNR_EINPUT)
            tznr__err_prefix("the history of column '%s' needs the date", f->name);
        return rc;
    }
    if (!missing && o && olen) {
        char *end;
        long v = strtol(o, &end, 10);
        if (*end == '\0' && v > 0)
            *out = v;
    }
    tznr__free_wiped(o, olen + 1);
    return TZNR_OK;
}

tznr_error_t tznr__derive_value(const struct tznr_schema *s, size_t fi,
                                const char *const *values, const size_t *lens, char **out,
                                size_t *out_len, int *is_missing)
{
    const tznr__feature *f = &s->features[fi];
    const tznr__derive *d = f->derive;
    *out = NULL;
    *out_len = 0;
    *is_missing = 1;
    const char *raw = values[fi] ? values[fi] : "", *st;
    size_t rlen = lens[fi], sl, bad;
    tznr__utf8_strip(raw, rlen, &st, &sl);
    if (sl == 0)
        return TZNR_OK;   /* no code: missing, whatever the qualifier */
    char *code = NULL, *qual = NULL;
    size_t clen = 0, qlen = 0;
    int missing = 0;
    tznr_error_t rc = tznr__normalise(f, raw, rlen, &code, &clen, &missing);
    if (rc || missing || !code || clen == 0)
        goto done;
    /* the qualifier: its feature's normal form, stripped */
    const tznr__feature *qf = &s->features[d->qualifier];
    const char *qraw = values[d->qualifier] ? values[d->qualifier] : "";
    size_t qrlen = lens[d->qualifier];
    if (!tznr__utf8_valid(qraw, qrlen, &bad)) {
        rc = tznr__err(TZNR_EINPUT, "column '%s': invalid UTF-8 at byte %zu of the value",
                       qf->name, bad);
        goto done;
    }
    tznr__utf8_strip(qraw, qrlen, &st, &sl);
    if (sl == 0)
        goto done;   /* a code without its type is ambiguous: missing */
    if ((rc = tznr__normalise(qf, qraw, qrlen, &qual, &qlen, &missing)) || missing || !qual)
        goto done;
    tznr__utf8_strip(qual, qlen, &st, &sl);
    if (sl == 0)
        goto done;
    if (memchr(st, TZNR__DERIVE_SEP, sl)) {
        char esc[ESC];
        tznr__show(esc, sizeof esc, st, sl);
        rc = tznr__err(TZNR_EINPUT, "column '%s': contains '%c', the separator of the derived "
                       "value of column '%s' (value \"%s\")", qf->name, TZNR__DERIVE_SEP,
                       f->name, esc);
        goto done;
    }
    /* the history: follow mappings while an entry's period holds the row's date */
    char *tkey = tznr__strndup(st, sl);
    const size_t tkey_len = sl;
    if (!tkey) {
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
        goto done;
    }
    const char *cur_t = tkey, *cur_c = code;
    long date = 0;
    int have_date = 0, gone = 0;
    for (size_t hop = 0; hop <= d->n_table && !gone; hop++) {
        size_t g = d->n_table ? find_group(d, cur_t, cur_c) : 0;
        if (g == d->n_table)
            break;
        size_t e = group_end(d, g);
        const tznr__hist_entry *hit = NULL;
        for (size_t j = g; j < e; j++) {
            const tznr__hist_entry *x = &d->table[j];
            if (x->dated && !have_date) {
                if ((rc = row_date(s, d, f, values, lens, &date)))
                    break;
                have_date = 1;
            }
            if (!x->dated || (date >= 0 && x->from <= date && date <= x->until)) {
                hit = x;
                break;
            }
        }
        if (rc)
            break;
        if (!hit) {
            gone = have_date && date < 0;   /* cannot tell whether a mapping applies */
            break;
        }
        if (!hit->to) {
            gone = 1;   /* retired code, no successor: the value is missing */
            break;
        }
        cur_t = hit->to_type;
        cur_c = hit->to;
    }
    if (!rc && !gone) {
        size_t tl = strlen(cur_t), cl = strlen(cur_c), n = tl + 1 + cl;
        char *v = tznr__malloc(n + 1);
        if (!v) {
            rc = tznr__err(TZNR_ENOMEM, "out of memory");
        } else {
            memcpy(v, cur_t, tl);
            v[tl] = TZNR__DERIVE_SEP;
            memcpy(v + tl + 1, cur_c, cl);
            v[n] = '\0';
            *out = v;
            *out_len = n;
            *is_missing = 0;
        }
    }
    tznr__free_wiped(tkey, tkey_len + 1);
done:
    if (code)
        tznr__free_wiped(code, clen + 1);
    if (qual)
        tznr__free_wiped(qual, qlen + 1);
    return rc;
}
