/* Fellegi–Sunter model: pattern counts, EM (fastLink-style, on distinct patterns), match
 * weights and probabilities. */
#include "tznr/fs.h"
#include <math.h>
#include <string.h>
#include <xxhash.h>
#include "alloc.h"
#include "error.h"
#include "fs_internal.h"

#define MAX_FIELDS 64
#define PSEUDO 1e-6   /* per-level pseudo-count: keeps estimates inside (0, 1) */

struct tznr_fs_model {
    size_t nf;
    uint8_t nl[MAX_FIELDS];
    size_t off[MAX_FIELDS + 1];   /* field f's levels are [off[f], off[f+1]) */
    double lambda;
    double *m, *u;                /* off[nf] entries each */
    int fix_m, fix_u;
    uint8_t informative[MAX_FIELDS];
};

struct tznr_fs_patterns {
    size_t nf;
    size_t n, cap;       /* distinct patterns; table capacity (power of two) */
    uint8_t *keys;       /* cap * nf */
    uint64_t *counts;    /* cap; 0 = empty slot */
    uint64_t total;
};

static void default_params(tznr_fs_model_t *md)
{
    md->lambda = 1e-4;
    for (size_t f = 0; f < md->nf; f++) {
        size_t L = md->nl[f];
        double *m = md->m + md->off[f], *u = md->u + md->off[f];
        /* m: 0.9 on level 0, the rest shared by the other levels */
        m[0] = 0.9;
        for (size_t l = 1; l < L; l++)
            m[l] = 0.1 / (double)(L - 1);
        /* u: 0.01 on level 0, 0.01 on middle levels, the rest on disagreement */
        double rest = 1.0;
        for (size_t l = 0; l + 1 < L; l++) {
            u[l] = 0.01;
            rest -= 0.01;
        }
        u[L - 1] = rest;
        md->informative[f] = 1;
    }
}

tznr_error_t tznr_fs_model_new(tznr_fs_model_t **out, size_t n_fields, const uint8_t *n_levels)
{
    if (out)
        *out = NULL;
    if (!out || !n_levels)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (n_fields == 0 || n_fields > MAX_FIELDS)
        return tznr__err(TZNR_EINVAL, "a model has 1 to %d fields (got %zu)", MAX_FIELDS, n_fields);
    tznr_fs_model_t *md = tznr__calloc(1, sizeof *md);
    if (!md)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    md->nf = n_fields;
    for (size_t f = 0; f < n_fields; f++) {
        if (n_levels[f] < 2 || n_levels[f] > TZNR_FS_MAX_LEVELS) {
            tznr__free(md);
            return tznr__err(TZNR_EINVAL, "field %zu: a field has 2 to %d levels (got %u)", f,
                             TZNR_FS_MAX_LEVELS, n_levels[f]);
        }
        md->nl[f] = n_levels[f];
        md->off[f + 1] = md->off[f] + n_levels[f];
    }
    md->m = tznr__calloc(md->off[n_fields], sizeof *md->m);
    md->u = tznr__calloc(md->off[n_fields], sizeof *md->u);
    if (!md->m || !md->u) {
        tznr_fs_model_free(md);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    default_params(md);
    *out = md;
    return TZNR_OK;
}

void tznr_fs_model_free(tznr_fs_model_t *md)
{
    if (!md)
        return;
    tznr__free(md->m);
    tznr__free(md->u);
    tznr__free(md);
}

size_t tznr_fs_model_fields(const tznr_fs_model_t *md) { return md ? md->nf : 0; }

size_t tznr_fs_model_levels(const tznr_fs_model_t *md, size_t field)
{
    return md && field < md->nf ? md->nl[field] : 0;
}

static int inside01(double x) { return x > 0.0 && x < 1.0; }

static tznr_error_t check_probs(const tznr_fs_model_t *md, const double *p, const char *what)
{
    for (size_t f = 0; f < md->nf; f++) {
        double sum = 0;
        for (size_t l = 0; l < md->nl[f]; l++) {
            double v = p[md->off[f] + l];
            if (!inside01(v))
                return tznr__err(TZNR_EINVAL, "%s for field %zu level %zu is %g: it must be in "
                                 "(0, 1) (a value of exactly 0 or 1 can never move under EM)",
                                 what, f, l, v);
            sum += v;
        }
        if (fabs(sum - 1.0) > 1e-6)
            return tznr__err(TZNR_EINVAL, "%s of field %zu sum to %.9g, not 1", what, f, sum);
    }
    return TZNR_OK;
}

tznr_error_t tznr_fs_model_set_params(tznr_fs_model_t *md, double lambda, const double *m,
                                      const double *u)
{
    if (!md)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (!inside01(lambda))
        return tznr__err(TZNR_EINVAL, "lambda is %g: it must be in (0, 1)", lambda);
    tznr_error_t rc;
    if ((m && (rc = check_probs(md, m, "m"))) || (u && (rc = check_probs(md, u, "u"))))
        return rc;
    md->lambda = lambda;
    if (m)
        memcpy(md->m, m, md->off[md->nf] * sizeof *m);
    if (u)
        memcpy(md->u, u, md->off[md->nf] * sizeof *u);
    return TZNR_OK;
}

tznr_error_t tznr_fs_model_get_params(const tznr_fs_model_t *md, double *lambda, double *m, double *u)
{
    if (!md)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (lambda)
        *lambda = md->lambda;
    if (m)
        memcpy(m, md->m, md->off[md->nf] * sizeof *m);
    if (u)
        memcpy(u, md->u, md->off[md->nf] * sizeof *u);
    return TZNR_OK;
}

tznr_error_t tznr_fs_model_fix(tznr_fs_model_t *md, int fix_m, int fix_u)
{
    if (!md)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    md->fix_m = fix_m != 0;
    md->fix_u = fix_u != 0;
    return TZNR_OK;
}

int tznr_fs_model_field_informative(const tznr_fs_model_t *md, size_t field)
{
    if (!md || field >= md->nf)
        return -1;
    return md->informative[field];
}

tznr_error_t tznr_fs_level_weight(double *out, const tznr_fs_model_t *md, size_t field, uint8_t level)
{
    if (!out || !md || field >= md->nf)
        return tznr__err(TZNR_EINVAL, "bad argument");
    if (level == TZNR_FS_MISSING) {
        *out = 0.0;
        return TZNR_OK;
    }
    if (level >= md->nl[field])
        return tznr__err(TZNR_EINVAL, "field %zu has %u levels (got level %u)", field,
                         md->nl[field], level);
    *out = log2(md->m[md->off[field] + level] / md->u[md->off[field] + level]);
    return TZNR_OK;
}

tznr_error_t tznr_fs_score(double *weight, double *probability, double *contributions,
                           const tznr_fs_model_t *md, const uint8_t *gamma)
{
    if (!md || !gamma)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    double w = log2(md->lambda / (1.0 - md->lambda));
    for (size_t f = 0; f < md->nf; f++) {
        double c;
        tznr_error_t rc = tznr_fs_level_weight(&c, md, f, gamma[f]);
        if (rc)
            return rc;
        if (contributions)
            contributions[f] = c;
        w += c;
    }
    if (weight)
        *weight = w;
    if (probability)   /* 2^w / (1 + 2^w), computed without overflow */
        *probability = w >= 0 ? 1.0 / (1.0 + exp2(-w)) : exp2(w) / (1.0 + exp2(w));
    return TZNR_OK;
}

/* ---- pattern table ---------------------------------------------------------------------- */

tznr_error_t tznr_fs_patterns_new(tznr_fs_patterns_t **out, size_t n_fields)
{
    if (out)
        *out = NULL;
    if (!out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (n_fields == 0 || n_fields > MAX_FIELDS)
        return tznr__err(TZNR_EINVAL, "1 to %d fields (got %zu)", MAX_FIELDS, n_fields);
    tznr_fs_patterns_t *p = tznr__calloc(1, sizeof *p);
    if (!p)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    p->nf = n_fields;
    p->cap = 64;
    p->keys = tznr__calloc(p->cap, n_fields);
    p->counts = tznr__calloc(p->cap, sizeof *p->counts);
    if (!p->keys || !p->counts) {
        tznr_fs_patterns_free(p);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    *out = p;
    return TZNR_OK;
}

void tznr_fs_patterns_free(tznr_fs_patterns_t *p)
{
    if (!p)
        return;
    tznr__free(p->keys);
    tznr__free(p->counts);
    tznr__free(p);
}

static size_t slot_of(const tznr_fs_patterns_t *p, const uint8_t *gamma)
{
    size_t h = (size_t)XXH3_64bits(gamma, p->nf) & (p->cap - 1);
    while (p->counts[h] && memcmp(p->keys + h * p->nf, gamma, p->nf) != 0)
        h = (h + 1) & (p->cap - 1);
    return h;
}

static tznr_error_t grow(tznr_fs_patterns_t *p)
{
    tznr_fs_patterns_t bigger = *p;
    bigger.cap = p->cap * 2;
    bigger.keys = tznr__calloc(bigger.cap, p->nf);
    bigger.counts = tznr__calloc(bigger.cap, sizeof *bigger.counts);
    if (!bigger.keys || !bigger.counts) {
        tznr__free(bigger.keys);
        tznr__free(bigger.counts);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < p->cap; i++) {
        if (!p->counts[i])
            continue;
        size_t h = slot_of(&bigger, p->keys + i * p->nf);
        memcpy(bigger.keys + h * p->nf, p->keys + i * p->nf, p->nf);
        bigger.counts[h] = p->counts[i];
    }
    tznr__free(p->keys);
    tznr__free(p->counts);
    *p = bigger;
    return TZNR_OK;
}

tznr_error_t tznr_fs_patterns_add(tznr_fs_patterns_t *p, const uint8_t *gamma, uint64_t count)
{
    if (!p || !gamma)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (count == 0)
        return TZNR_OK;
    if (p->total + count < p->total)
        return tznr__err(TZNR_ELIMIT, "pair count overflows 64 bits");
    if ((p->n + 1) * 2 > p->cap) {
        tznr_error_t rc = grow(p);
        if (rc)
            return rc;
    }
    size_t h = slot_of(p, gamma);
    if (!p->counts[h]) {
        memcpy(p->keys + h * p->nf, gamma, p->nf);
        p->n++;
    }
    p->counts[h] += count;
    p->total += count;
    return TZNR_OK;
}

size_t tznr_fs_patterns_distinct(const tznr_fs_patterns_t *p) { return p ? p->n : 0; }
uint64_t tznr_fs_patterns_total(const tznr_fs_patterns_t *p) { return p ? p->total : 0; }

/* ---- EM --------------------------------------------------------------------------------- */

tznr_error_t tznr_fs_em(tznr_fs_model_t *md, const tznr_fs_patterns_t *p, unsigned max_iterations,
                        double tolerance, unsigned *iterations, double *last_change, int *converged)
{
    if (iterations)
        *iterations = 0;
    if (converged)
        *converged = 0;
    if (!md || !p)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (p->nf != md->nf)
        return tznr__err(TZNR_EINVAL, "the patterns have %zu fields, the model %zu", p->nf, md->nf);
    if (p->total == 0)
        return tznr__err(TZNR_EINVAL, "no comparison pattern to estimate from");
    if (max_iterations == 0 || !(tolerance > 0))
        return tznr__err(TZNR_EINVAL, "max_iterations must be >= 1 and tolerance > 0");
    const size_t nf = md->nf, np = md->off[nf];
    /* observed levels per field, and level-range checks */
    uint32_t seen[MAX_FIELDS] = {0};
    for (size_t i = 0; i < p->cap; i++) {
        if (!p->counts[i])
            continue;
        const uint8_t *g = p->keys + i * nf;
        for (size_t f = 0; f < nf; f++) {
            if (g[f] == TZNR_FS_MISSING)
                continue;
            if (g[f] >= md->nl[f])
                return tznr__err(TZNR_EINVAL, "field %zu: level %u in the patterns, but the "
                                 "model has %u levels", f, g[f], md->nl[f]);
            seen[f] |= 1u << g[f];
        }
    }
    for (size_t f = 0; f < nf; f++)
        md->informative[f] = __builtin_popcount(seen[f]) > 1;

    double *em = tznr__calloc(np, sizeof *em), *eu = tznr__calloc(np, sizeof *eu);
    if (!em || !eu) {
        tznr__free(em);
        tznr__free(eu);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    const double N = (double)p->total;
    unsigned it = 0;
    double change = 0;
    int conv = 0;
    while (it < max_iterations) {
        memset(em, 0, np * sizeof *em);
        memset(eu, 0, np * sizeof *eu);
        double matches = 0;
        const double ll = log(md->lambda), lu = log1p(-md->lambda);
        /* E-step on distinct patterns */
        for (size_t i = 0; i < p->cap; i++) {
            if (!p->counts[i])
                continue;
            const uint8_t *g = p->keys + i * nf;
            double a = ll, b = lu;
            for (size_t f = 0; f < nf; f++) {
                if (g[f] == TZNR_FS_MISSING)
                    continue;
                a += log(md->m[md->off[f] + g[f]]);
                b += log(md->u[md->off[f] + g[f]]);
            }
            /* posterior of a match, computed stably */
            double xi = a >= b ? 1.0 / (1.0 + exp(b - a)) : exp(a - b) / (1.0 + exp(a - b));
            double n = (double)p->counts[i];
            matches += n * xi;
            for (size_t f = 0; f < nf; f++) {
                if (g[f] == TZNR_FS_MISSING)
                    continue;
                em[md->off[f] + g[f]] += n * xi;
                eu[md->off[f] + g[f]] += n * (1.0 - xi);
            }
        }
        /* M-step */
        double lambda = matches / N;
        if (lambda < 1e-12)
            lambda = 1e-12;
        if (lambda > 1 - 1e-12)
            lambda = 1 - 1e-12;
        change = fabs(lambda - md->lambda);
        md->lambda = lambda;
        for (size_t f = 0; f < nf; f++) {
            double sm = 0, su = 0;
            const size_t L = md->nl[f], o = md->off[f];
            for (size_t l = 0; l < L; l++) {
                sm += em[o + l];
                su += eu[o + l];
            }
            for (size_t l = 0; l < L; l++) {
                if (!md->fix_m) {
                    double v = (em[o + l] + PSEUDO) / (sm + PSEUDO * (double)L);
                    change = fmax(change, fabs(v - md->m[o + l]));
                    md->m[o + l] = v;
                }
                if (!md->fix_u) {
                    double v = (eu[o + l] + PSEUDO) / (su + PSEUDO * (double)L);
                    change = fmax(change, fabs(v - md->u[o + l]));
                    md->u[o + l] = v;
                }
            }
        }
        it++;
        if (change < tolerance) {
            conv = 1;
            break;
        }
    }
    tznr__free(em);
    tznr__free(eu);
    if (iterations)
        *iterations = it;
    if (last_change)
        *last_change = change;
    if (converged)
        *converged = conv;
    return TZNR_OK;
}

tznr_error_t tznr_fs_prior_from_rule(double *prior, uint64_t rule_pairs, double recall,
                                     uint64_t total_pairs)
{
    if (!prior)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (!(recall > 0.0 && recall <= 1.0))
        return tznr__err(TZNR_EINVAL, "recall %g must be in (0, 1]", recall);
    if (total_pairs == 0)
        return tznr__err(TZNR_EINVAL, "no pair was compared");
    if (rule_pairs == 0)
        return tznr__err(TZNR_EINVAL, "the deterministic rule matched no pair: the prior would "
                         "be 0; use a rule that matches some pairs");
    if (rule_pairs > total_pairs)
        return tznr__err(TZNR_EINVAL, "the rule matched %llu pairs, more than the %llu compared",
                         (unsigned long long)rule_pairs, (unsigned long long)total_pairs);
    double est = (double)rule_pairs / recall / (double)total_pairs;
    if (est >= 1.0)
        return tznr__err(TZNR_EINVAL, "the estimated prior is %.4g, not below 1: with %llu of "
                         "%llu pairs matched by the rule, the recall must be at least %.4g",
                         est, (unsigned long long)rule_pairs, (unsigned long long)total_pairs,
                         (double)rule_pairs / (double)total_pairs);
    *prior = est;
    return TZNR_OK;
}

tznr_error_t tznr__fs_expected_matches(const tznr_fs_model_t *md, const tznr_fs_patterns_t *p,
                                       double *out)
{
    double sum = 0;
    for (size_t i = 0; i < p->cap; i++) {
        if (!p->counts[i])
            continue;
        double prob;
        tznr_error_t rc = tznr_fs_score(NULL, &prob, NULL, md, p->keys + i * p->nf);
        if (rc)
            return rc;
        sum += (double)p->counts[i] * prob;
    }
    *out = sum;
    return TZNR_OK;
}
