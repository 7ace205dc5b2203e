/* Privacy audit of shared encodings (include/tznr/audit.h, docs/privacy.md): bit-level
 * statistics, classes of identical filters, and the frequency distribution of each field's
 * filters, computed on the encodings alone. */
#include "tznr/audit.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "error.h"
#include "fileio.h"
#include "json.h"

struct audit_field {
    char *name;
    uint64_t distinct, empty, top[TZNR_AUDIT_TOP];
    size_t ntop;
    double top_share, entropy;
    unsigned distinguishable;
    int exposed;
};

struct tznr_audit {
    char *source;                 /* file name, or NULL */
    int container;
    size_t n, bits;
    uint64_t *pop_hist;           /* bits + 1 entries */
    uint64_t *bit_counts;         /* bits entries */
    double stat[TZNR_AUDIT_LARGEST_CLASS + 1];
    size_t nclass;                /* distinct class sizes */
    uint64_t *cls_size, *cls_count;
    size_t nfields;
    struct audit_field *fields;
};

void tznr_audit_free(tznr_audit_t *a)
{
    if (!a)
        return;
    for (size_t f = 0; f < a->nfields; f++)
        tznr__free(a->fields[f].name);
    tznr__free(a->fields);
    tznr__free(a->source);
    tznr__free(a->pop_hist);
    tznr__free(a->bit_counts);
    tznr__free(a->cls_size);
    tznr__free(a->cls_count);
    tznr__free(a);
}

/* ---- classes of identical filters ---------------------------------------------------- */

struct fref {
    const uint8_t *p;
    size_t len;
};

static int cmp_fref(const void *x, const void *y)
{
    const struct fref *a = x, *b = y;
    return memcmp(a->p, b->p, a->len);
}

static int cmp_u64_desc(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? 1 : a > b ? -1 : 0;
}

/* Sizes of the classes of identical filters among refs[0..n) (sorted in place), in
 * decreasing order, in a new array of *nruns entries. */
static tznr_error_t class_runs(struct fref *refs, size_t n, uint64_t **runs, size_t *nruns)
{
    qsort(refs, n, sizeof *refs, cmp_fref);
    uint64_t *r = tznr__malloc(n * sizeof *r);
    if (!r)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && memcmp(refs[j].p, refs[i].p, refs[i].len) == 0)
            j++;
        r[k++] = j - i;
        i = j;
    }
    qsort(r, k, sizeof *r, cmp_u64_desc);
    *runs = r;
    *nruns = k;
    return TZNR_OK;
}

/* ---- whole-set measures ------------------------------------------------------------- */

static double sd_of(const double *x, size_t n, double mean)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (x[i] - mean) * (x[i] - mean);
    return sqrt(s / (double)n);
}

/* filters[i] for i < n, each bits/8 bytes (clkhash bit order: position p is bit 0x80 >> p%8
 * of byte p/8). */
static tznr_error_t audit_filters(tznr_audit_t *a, const uint8_t *const *filters, size_t n,
                                  size_t bits)
{
    size_t bytes = bits / 8;
    a->n = n;
    a->bits = bits;
    a->pop_hist = tznr__calloc(bits + 1, sizeof *a->pop_hist);
    a->bit_counts = tznr__calloc(bits, sizeof *a->bit_counts);
    double *share = tznr__calloc(bits, sizeof *share);
    struct fref *refs = tznr__calloc(n, sizeof *refs);
    if (!a->pop_hist || !a->bit_counts || !share || !refs) {
        tznr__free(share);
        tznr__free(refs);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *f = filters[i];
        size_t pc = 0;
        for (size_t j = 0; j < bytes; j++) {
            unsigned b = f[j];
            pc += (size_t)__builtin_popcount(b);
            for (unsigned k = 0; b && k < 8; k++)
                if (b & (0x80u >> k))
                    a->bit_counts[j * 8 + k]++;
        }
        a->pop_hist[pc]++;
        refs[i].p = f;
        refs[i].len = bytes;
    }
    /* popcount: min, max, mean, population sd, from the histogram */
    double sum = 0, ss = 0;
    size_t pmin = SIZE_MAX, pmax = 0;
    for (size_t p = 0; p <= bits; p++) {
        if (!a->pop_hist[p])
            continue;
        pmin = p < pmin ? p : pmin;
        pmax = p;
        sum += (double)a->pop_hist[p] * (double)p;
    }
    double pmean = sum / (double)n;
    for (size_t p = 0; p <= bits; p++)
        ss += (double)a->pop_hist[p] * ((double)p - pmean) * ((double)p - pmean);
    a->stat[TZNR_AUDIT_RECORDS] = (double)n;
    a->stat[TZNR_AUDIT_FILTER_BITS] = (double)bits;
    a->stat[TZNR_AUDIT_POPCOUNT_MIN] = (double)pmin;
    a->stat[TZNR_AUDIT_POPCOUNT_MAX] = (double)pmax;
    a->stat[TZNR_AUDIT_POPCOUNT_MEAN] = pmean;
    a->stat[TZNR_AUDIT_POPCOUNT_SD] = sqrt(ss / (double)n);
    /* per-position set frequency, as a share of the records */
    double smin = 1, smax = 0, ssum = 0;
    uint64_t never = 0, always = 0;
    for (size_t p = 0; p < bits; p++) {
        share[p] = (double)a->bit_counts[p] / (double)n;
        smin = share[p] < smin ? share[p] : smin;
        smax = share[p] > smax ? share[p] : smax;
        ssum += share[p];
        never += a->bit_counts[p] == 0;
        always += a->bit_counts[p] == n;
    }
    double smean = ssum / (double)bits;
    a->stat[TZNR_AUDIT_BITFREQ_MIN] = smin;
    a->stat[TZNR_AUDIT_BITFREQ_MAX] = smax;
    a->stat[TZNR_AUDIT_BITFREQ_MEAN] = smean;
    a->stat[TZNR_AUDIT_BITFREQ_SD] = sd_of(share, bits, smean);
    a->stat[TZNR_AUDIT_BITS_NEVER_SET] = (double)never;
    a->stat[TZNR_AUDIT_BITS_ALWAYS_SET] = (double)always;
    tznr__free(share);
    /* classes of identical filters */
    uint64_t *runs = NULL;
    size_t nruns = 0;
    tznr_error_t rc = class_runs(refs, n, &runs, &nruns);
    tznr__free(refs);
    if (rc)
        return rc;
    uint64_t s2 = 0, s5 = 0, s10 = 0;
    size_t nsizes = 0;
    for (size_t i = 0; i < nruns; i++) {
        s2 += runs[i] >= 2 ? runs[i] : 0;
        s5 += runs[i] >= 5 ? runs[i] : 0;
        s10 += runs[i] >= 10 ? runs[i] : 0;
        nsizes += i == 0 || runs[i] != runs[i - 1];
    }
    a->stat[TZNR_AUDIT_DISTINCT] = (double)nruns;
    a->stat[TZNR_AUDIT_SHARED_2] = (double)s2;
    a->stat[TZNR_AUDIT_SHARED_5] = (double)s5;
    a->stat[TZNR_AUDIT_SHARED_10] = (double)s10;
    a->stat[TZNR_AUDIT_LARGEST_CLASS] = (double)runs[0];
    a->cls_size = tznr__calloc(nsizes, sizeof *a->cls_size);
    a->cls_count = tznr__calloc(nsizes, sizeof *a->cls_count);
    if (!a->cls_size || !a->cls_count) {
        tznr__free(runs);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    /* runs are decreasing: fill the histogram from the end so that sizes increase */
    size_t k = nsizes;
    for (size_t i = 0; i < nruns; i++) {
        if (i == 0 || runs[i] != runs[i - 1]) {
            k--;
            a->cls_size[k] = runs[i];
        }
        a->cls_count[k]++;
    }
    a->nclass = nsizes;
    tznr__free(runs);
    return TZNR_OK;
}

/* Two counts are told apart when they differ by more than two standard deviations of the
 * difference of two independent Poisson counts. */
static int apart(uint64_t x, uint64_t y)
{
    double d = (double)x - (double)y;
    return fabs(d) > 2.0 * sqrt((double)x + (double)y);
}

static tznr_error_t audit_field(struct audit_field *fd, const tznr_container_t *c, size_t f)
{
    size_t n = tznr_container_count(c), bytes = tznr_container_field_bits(c) / 8, m = 0;
    struct fref *refs = tznr__calloc(n, sizeof *refs);
    if (!refs)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    for (size_t r = 0; r < n; r++) {
        const uint8_t *p = tznr_container_field_filter(c, r, f);
        size_t j = 0;
        while (j < bytes && p[j] == 0)
            j++;
        if (j == bytes) {   /* missing value: no bit set; not part of the distribution */
            fd->empty++;
            continue;
        }
        refs[m].p = p;
        refs[m++].len = bytes;
    }
    if (m == 0) {          /* no value at all: nothing to align */
        tznr__free(refs);
        return TZNR_OK;
    }
    n = m;
    uint64_t *runs = NULL;
    size_t k = 0;
    tznr_error_t rc = class_runs(refs, n, &runs, &k);
    tznr__free(refs);
    if (rc)
        return rc;
    fd->distinct = k;
    fd->top_share = (double)runs[0] / (double)n;
    fd->ntop = k < TZNR_AUDIT_TOP ? k : TZNR_AUDIT_TOP;
    memcpy(fd->top, runs, fd->ntop * sizeof *runs);
    double h = 0;
    for (size_t i = 0; i < k; i++) {
        double p = (double)runs[i] / (double)n;
        h -= p * log2(p);
    }
    fd->entropy = k > 1 ? h / log2((double)k) : 0.0;
    if (fd->entropy > 1.0)
        fd->entropy = 1.0;   /* rounding of a uniform distribution */
    for (size_t i = 0; i < fd->ntop; i++) {
        int ok = 1;
        if (i > 0 && !apart(runs[i], runs[i - 1]))
            ok = 0;
        if (i + 1 < k && !apart(runs[i], runs[i + 1]))
            ok = 0;
        fd->distinguishable += (unsigned)ok;
    }
    fd->exposed = fd->distinct <= TZNR_AUDIT_LOW_CARDINALITY || fd->distinguishable > 0;
    tznr__free(runs);
    return TZNR_OK;
}

/* ---- constructors ------------------------------------------------------------------- */

tznr_error_t tznr_audit_new_from_clkset(tznr_audit_t **out, const tznr_clkset_t *set)
{
    if (!out)
        return tznr__err(TZNR_EINVAL, "tznr_audit_new_from_clkset: out is NULL");
    *out = NULL;
    if (!set)
        return tznr__err(TZNR_EINVAL, "tznr_audit_new_from_clkset: set is NULL");
    size_t n = tznr_clkset_count(set);
    if (n == 0)
        return tznr__err(TZNR_EINVAL, "no encodings to audit: the set is empty");
    tznr_audit_t *a = tznr__calloc(1, sizeof *a);
    const uint8_t **f = tznr__calloc(n, sizeof *f);
    if (!a || !f) {
        tznr__free(a);
        tznr__free(f);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        f[i] = tznr_clkset_get(set, i);
    tznr_error_t rc = audit_filters(a, f, n, tznr_clkset_filter_bits(set));
    tznr__free(f);
    if (rc) {
        tznr_audit_free(a);
        return rc;
    }
    *out = a;
    return TZNR_OK;
}

tznr_error_t tznr_audit_new_from_container(tznr_audit_t **out, const tznr_container_t *c)
{
    if (!out)
        return tznr__err(TZNR_EINVAL, "tznr_audit_new_from_container: out is NULL");
    *out = NULL;
    if (!c)
        return tznr__err(TZNR_EINVAL, "tznr_audit_new_from_container: container is NULL");
    size_t n = tznr_container_count(c), nf = tznr_container_field_count(c);
    if (n == 0)
        return tznr__err(TZNR_EINVAL, "no encodings to audit: the container has no record");
    tznr_audit_t *a = tznr__calloc(1, sizeof *a);
    const uint8_t **f = tznr__calloc(n, sizeof *f);
    if (!a || !f) {
        tznr__free(a);
        tznr__free(f);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    a->container = 1;
    for (size_t i = 0; i < n; i++)
        f[i] = tznr_container_clk(c, i);
    tznr_error_t rc = audit_filters(a, f, n, tznr_container_clk_bits(c));
    tznr__free(f);
    if (!rc && nf) {
        a->fields = tznr__calloc(nf, sizeof *a->fields);
        if (!a->fields)
            rc = tznr__err(TZNR_ENOMEM, "out of memory");
        else
            a->nfields = nf;
    }
    for (size_t i = 0; !rc && i < nf; i++) {
        const char *name = tznr_container_field_name(c, i);
        a->fields[i].name = tznr__strndup(name, strlen(name));
        rc = a->fields[i].name ? audit_field(&a->fields[i], c, i)
                               : tznr__err(TZNR_ENOMEM, "out of memory");
    }
    if (rc) {
        tznr_audit_free(a);
        return rc;
    }
    *out = a;
    return TZNR_OK;
}

tznr_error_t tznr_audit_new_from_file(tznr_audit_t **out, const char *path)
{
    if (!out || !path)
        return tznr__err(TZNR_EINVAL, "tznr_audit_new_from_file: NULL argument");
    *out = NULL;
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    /* A container starts with its magic "TZNRENC"; JSON cannot start with 'T'. Peek at one
     * byte (pushed back on standard input, which guarantees one byte of push-back). */
    int first = EOF;
    if (is_stdin) {
        first = getc(stdin);
        if (first != EOF)
            ungetc(first, stdin);
    } else {
        struct stat st;
        if (stat(path, &st) != 0)
            return tznr__err(TZNR_EIO, "%s: cannot open: %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode)) {
            /* a pipe would lose the byte peeked at: decide by the name instead */
            size_t len = strlen(path);
            first = len >= 5 && strcmp(path + len - 5, ".tznr") == 0 ? 'T' : '{';
        } else if (st.st_size == 0) {
            first = EOF;
        } else {
            FILE *fp = fopen(path, "rb");
            if (!fp)
                return tznr__err(TZNR_EIO, "%s: cannot open: %s", path, strerror(errno));
            first = getc(fp);
            fclose(fp);
        }
    }

    if (first == EOF)   /* an empty regular file, or nothing on standard input */
        return tznr__err(TZNR_EFORMAT, "%s: the file is empty (expected a CLK JSON file or a "
                         ".tznr container)", name);
    tznr_error_t rc;
    tznr_audit_t *a = NULL;
    if (first == 'T') {
        tznr_container_t *c = NULL;
        if ((rc = tznr_container_read(&c, path)))
            return rc;
        rc = tznr_audit_new_from_container(&a, c);
        tznr_container_free(c);
    } else {
        tznr_clkset_t *s = NULL;
        if ((rc = tznr_clkset_read_json(&s, path)))
            return rc;
        rc = tznr_audit_new_from_clkset(&a, s);
        tznr_clkset_free(s);
    }
    if (rc == TZNR_EINVAL)   /* no record */
        return tznr__err(TZNR_EFORMAT, "%s: no encodings to audit (the file holds no record)",
                         name);
    if (rc)
        return rc;
    a->source = tznr__strndup(name, strlen(name));
    if (!a->source) {
        tznr_audit_free(a);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    *out = a;
    return TZNR_OK;
}

/* ---- accessors ---------------------------------------------------------------------- */

double tznr_audit_stat(const tznr_audit_t *a, tznr_audit_stat_t s)
{
    if (!a || (int)s < 0 || (int)s > TZNR_AUDIT_LARGEST_CLASS)
        return NAN;
    return a->stat[s];
}

size_t tznr_audit_class_sizes(const tznr_audit_t *a, uint64_t *sizes, uint64_t *counts,
                              size_t cap)
{
    if (!a)
        return 0;
    for (size_t i = 0; i < a->nclass && i < cap; i++) {
        if (sizes)
            sizes[i] = a->cls_size[i];
        if (counts)
            counts[i] = a->cls_count[i];
    }
    return a->nclass;
}

size_t tznr_audit_field_count(const tznr_audit_t *a)
{
    return a ? a->nfields : 0;
}

const char *tznr_audit_field_name(const tznr_audit_t *a, size_t f)
{
    return a && f < a->nfields ? a->fields[f].name : NULL;
}

double tznr_audit_field_stat(const tznr_audit_t *a, size_t f, tznr_audit_field_stat_t s)
{
    if (!a || f >= a->nfields)
        return NAN;
    const struct audit_field *fd = &a->fields[f];
    switch (s) {
    case TZNR_AUDIT_FIELD_DISTINCT: return (double)fd->distinct;
    case TZNR_AUDIT_FIELD_TOP_SHARE: return fd->top_share;
    case TZNR_AUDIT_FIELD_ENTROPY: return fd->entropy;
    case TZNR_AUDIT_FIELD_EMPTY: return (double)fd->empty;
    case TZNR_AUDIT_FIELD_DISTINGUISHABLE: return (double)fd->distinguishable;
    case TZNR_AUDIT_FIELD_EXPOSED: return (double)fd->exposed;
    }
    return NAN;
}

size_t tznr_audit_field_top(const tznr_audit_t *a, size_t f, uint64_t *counts, size_t cap)
{
    if (!a || f >= a->nfields)
        return 0;
    const struct audit_field *fd = &a->fields[f];
    for (size_t i = 0; counts && i < fd->ntop && i < cap; i++)
        counts[i] = fd->top[i];
    return fd->ntop;
}

/* ---- JSON report -------------------------------------------------------------------- */

static json_t *u64_array(const uint64_t *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_integer((json_int_t)v[i]))) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

static const char RECOMMEND[] =
    "exposed to frequency alignment: do not share a field-level filter for it (schema "
    "linkage.compare false keeps it inside the CLK only), or encode it together with other "
    "fields; XOR folding (clkConfig.xor_folds) hampers bit-pattern mining but keeps equal "
    "values equal, so it does not remove the frequency distribution";

static json_t *report_json(const tznr_audit_t *a)
{
    const double *s = a->stat;
    size_t pmax = (size_t)s[TZNR_AUDIT_POPCOUNT_MAX];
    json_t *sizes = json_array();
    for (size_t i = 0; sizes && i < a->nclass; i++)
        if (json_array_append_new(sizes, json_pack("[I, I]", (json_int_t)a->cls_size[i],
                                                   (json_int_t)a->cls_count[i]))) {
            json_decref(sizes);
            sizes = NULL;
        }
    json_t *fields = json_array();
    for (size_t f = 0; fields && f < a->nfields; f++) {
        const struct audit_field *fd = &a->fields[f];
        json_t *o = json_pack("{s:s, s:I, s:f, s:o, s:f, s:I, s:i, s:b, s:s?}", "name", fd->name,
                              "distinct", (json_int_t)fd->distinct, "top_share", fd->top_share,
                              "top_counts", u64_array(fd->top, fd->ntop),
                              "normalised_entropy", fd->entropy, "empty", (json_int_t)fd->empty,
                              "distinguishable_top", (int)fd->distinguishable,
                              "exposed", fd->exposed, "recommendation",
                              fd->exposed ? RECOMMEND : NULL);
        if (!o || json_array_append_new(fields, o)) {
            json_decref(fields);
            fields = NULL;
        }
    }
    return json_pack(
        "{s:s?, s:s, s:I, s:I,"
        " s:{s:I, s:I, s:f, s:f, s:o},"
        " s:{s:f, s:f, s:f, s:f, s:I, s:I, s:o},"
        " s:{s:I, s:I, s:I, s:I, s:I, s:o},"
        " s:o, s:{s:i, s:i}}",
        "source", a->source, "kind", a->container ? "container" : "clks",
        "records", (json_int_t)a->n, "filter_bits", (json_int_t)a->bits,
        "popcount", "min", (json_int_t)s[TZNR_AUDIT_POPCOUNT_MIN], "max", (json_int_t)pmax,
        "mean", s[TZNR_AUDIT_POPCOUNT_MEAN], "sd", s[TZNR_AUDIT_POPCOUNT_SD],
        "histogram", u64_array(a->pop_hist, pmax + 1),
        "bit_frequency", "min", s[TZNR_AUDIT_BITFREQ_MIN], "max", s[TZNR_AUDIT_BITFREQ_MAX],
        "mean", s[TZNR_AUDIT_BITFREQ_MEAN], "sd", s[TZNR_AUDIT_BITFREQ_SD],
        "never_set", (json_int_t)s[TZNR_AUDIT_BITS_NEVER_SET],
        "always_set", (json_int_t)s[TZNR_AUDIT_BITS_ALWAYS_SET],
        "counts", u64_array(a->bit_counts, a->bits),
        "duplicates", "distinct", (json_int_t)s[TZNR_AUDIT_DISTINCT],
        "shared_2", (json_int_t)s[TZNR_AUDIT_SHARED_2],
        "shared_5", (json_int_t)s[TZNR_AUDIT_SHARED_5],
        "shared_10", (json_int_t)s[TZNR_AUDIT_SHARED_10],
        "largest_class", (json_int_t)s[TZNR_AUDIT_LARGEST_CLASS], "class_sizes", sizes,
        "fields", fields, "thresholds", "low_cardinality", TZNR_AUDIT_LOW_CARDINALITY,
        "top", TZNR_AUDIT_TOP);
}

tznr_error_t tznr_audit_write_json(const tznr_audit_t *a, const char *path, int force)
{
    if (!a || !path)
        return tznr__err(TZNR_EINVAL, "tznr_audit_write_json: NULL argument");
    json_t *root = report_json(a);
    /* json_pack fails (NULL) when any nested value ("o") could not be allocated */
    char *text = root ? json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(root);
    if (!text)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    tznr__out o;
    tznr_error_t rc = tznr__out_open(&o, path, force);
    if (rc) {
        free(text);
        return rc;
    }
    int ok = fputs(text, o.fp) >= 0 && fputc('\n', o.fp) != EOF;
    free(text);
    if (!ok) {
        tznr__out_abort(&o);
        return tznr__err(TZNR_EIO, "%s: write failed", path);
    }
    return tznr__out_commit(&o);
}
