/* bench_scale: LSH-blocked linkage of N synthetic records a side, with the truth known.
 *
 *   bench_scale [--n 100000,1000000] [--bits 1024] [--threshold 0.8] [--recall 0.995]
 *               [--threads 0] [--seed S] [--exhaustive-max 200000] [--sample-rows 2000]
 *               [--k K] [--tables L] [--every-pair]
 *
 * Data (splitmix64, seed S; nothing secret): A holds N random CLKs, record i with every bit
 * set independently with probability d_i drawn uniformly in [0.30, 0.45]. B holds N records:
 * half are noisy copies of distinct records of A (each set bit cleared with probability e,
 * each clear bit set with probability e*d/(1-d), e uniform in [0, 0.22] per record, so the
 * true pairs have Dice from about 0.75 to 1), the other half fresh random CLKs; B is
 * shuffled. The planted pairs are the truth.
 *
 * Linkage: tznr_lsh_choose() picks K and lambda for the recall target at the threshold
 * (goal TZNR_LSH_MEAN_AT_THRESHOLD, or TZNR_LSH_EVERY_PAIR with --every-pair),
 * tznr_lsh_new() draws the positions, tznr_match() runs the blocked search on all threads.
 * Printed: wall time of each step, peak RSS of the process (getrusage), comparisons made,
 * reduction ratio 1 - comparisons / N^2, and pair completeness: the share of the pairs that
 * exhaustive search finds at the same threshold which LSH finds. For N <= exhaustive-max the
 * exhaustive search is run in full. Above, it is estimated: every planted pair is scored
 * directly (the planted pairs >= threshold are checked one by one), and exhaustive search is
 * run for a random sample of rows of A against all of B to find pairs >= threshold that
 * were not planted (their count, scaled, estimates how many exist). --k and --tables
 * override the chosen parameters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <tznr/tznr.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

/* each bit set with probability p (8-bit resolution: p rounded to k/256) */
static void random_bits(uint8_t *f, size_t len, double p)
{
    unsigned thr = (unsigned)lround(p * 256.0);
    for (size_t i = 0; i < len; i++) {
        uint64_t r = rnd();
        uint8_t byte = 0;
        for (int k = 0; k < 8; k++)
            if (((r >> (8 * k)) & 0xff) < thr)
                byte |= (uint8_t)(0x80u >> k);
        f[i] = byte;
    }
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void die(const char *what, tznr_error_t rc)
{
    fprintf(stderr, "bench_scale: %s: %s: %s\n", what, tznr_strerror(rc), tznr_last_error_message());
    exit(1);
}

static int pair_cmp(const void *x, const void *y)
{
    const uint64_t *p = x, *q = y;
    return p[0] != q[0] ? (p[0] < q[0] ? -1 : 1) : (p[1] < q[1] ? -1 : p[1] > q[1]);
}

/* the candidate list as sorted (a, b) keys */
static uint64_t *pairs_of(const tznr_candidates_t *c, size_t *n)
{
    *n = tznr_candidates_count(c);
    uint64_t *v = malloc((*n ? *n : 1) * 2 * sizeof *v);
    for (size_t i = 0; i < *n; i++)
        if (tznr_candidates_get(c, i, &v[2 * i], &v[2 * i + 1], NULL))
            exit(1);
    qsort(v, *n, 2 * sizeof *v, pair_cmp);
    return v;
}

static int has_pair(const uint64_t *v, size_t n, uint64_t a, uint64_t b)
{
    uint64_t key[2] = {a, b};
    return bsearch(key, v, n, 2 * sizeof *v, pair_cmp) != NULL;
}

static unsigned force_k, force_tables;
static tznr_lsh_goal_t goal = TZNR_LSH_MEAN_AT_THRESHOLD;

static void run(size_t n, size_t bits, double t, double recall, unsigned threads, uint64_t seed,
                size_t exhaustive_max, size_t sample_rows)
{
    const size_t len = bits / 8;
    rng_state = seed;
    printf("== N = %zu records a side, %zu-bit CLKs, threshold %g, recall target %g, seed %llu\n",
           n, bits, t, recall, (unsigned long long)seed);
    double t0 = now_s();
    tznr_clkset_t *a, *b;
    tznr_error_t rc;
    if ((rc = tznr_clkset_new(&a, bits)) || (rc = tznr_clkset_new(&b, bits)))
        die("clkset", rc);
    uint8_t *fa = malloc(n * len), *f = malloc(len);
    double *dens = malloc(n * sizeof *dens);
    for (size_t i = 0; i < n; i++) {
        dens[i] = 0.30 + 0.15 * unif();
        random_bits(fa + i * len, len, dens[i]);
        if ((rc = tznr_clkset_append(a, fa + i * len, len)))
            die("append", rc);
    }
    /* B: slot j holds a copy of A row src[j] (or a fresh CLK when src[j] == n) */
    size_t *src = malloc(n * sizeof *src), *perm = malloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n; i > 1; i--) {   /* the A rows that get a copy: first n/2 of a shuffle */
        size_t j = rnd() % i, tmp = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = tmp;
    }
    for (size_t j = 0; j < n; j++)
        src[j] = j < n / 2 ? perm[j] : n;
    for (size_t i = n; i > 1; i--) {   /* shuffle B */
        size_t j = rnd() % i, tmp = src[i - 1];
        src[i - 1] = src[j];
        src[j] = tmp;
    }
    uint64_t *truth_b = malloc(n * sizeof *truth_b);   /* A row -> B row or UINT64_MAX */
    for (size_t i = 0; i < n; i++)
        truth_b[i] = UINT64_MAX;
    for (size_t j = 0; j < n; j++) {
        if (src[j] == n) {
            random_bits(f, len, 0.30 + 0.15 * unif());
        } else {
            double d = dens[src[j]], e = 0.22 * unif();
            unsigned clear = (unsigned)lround(e * 256.0), set = (unsigned)lround(e * d / (1 - d) * 256.0);
            memcpy(f, fa + src[j] * len, len);
            for (size_t x = 0; x < len; x++) {
                uint64_t r = rnd();
                for (int k = 0; k < 8; k++) {
                    unsigned u = (unsigned)((r >> (8 * k)) & 0xff);
                    uint8_t bit = (uint8_t)(0x80u >> k);
                    if ((f[x] & bit) ? u < clear : u < set)
                        f[x] ^= bit;
                }
            }
            truth_b[src[j]] = j;
        }
        if ((rc = tznr_clkset_append(b, f, len)))
            die("append", rc);
    }
    free(perm);
    free(src);
    free(dens);
    double t1 = now_s();
    printf("data generated in %.1f s\n", t1 - t0);

    /* the linkage: choose the parameters, draw the index, search */
    unsigned k, tables;
    double every, mean;
    double c0 = now_s(), cpu0 = cpu_s();
    if ((rc = tznr_lsh_choose(&k, &tables, a, b, t, recall, goal)))
        die("choose", rc);
    k = force_k ? force_k : k;
    tables = force_tables ? force_tables : tables;
    if ((rc = tznr_lsh_recall(&every, &mean, a, b, t, k, tables)))
        die("recall", rc);
    tznr_lsh_t *lsh;
    if ((rc = tznr_lsh_new(&lsh, bits, k, tables, TZNR_LSH_DEFAULT_SEED)))
        die("lsh", rc);
    double c1 = now_s();
    tznr_match_options_t o;
    tznr_match_stats_t st;
    tznr_match_options_init(&o);
    o.threshold = t;
    o.threads = threads;
    o.lsh = lsh;
    o.stats = &st;
    tznr_candidates_t *found;
    if ((rc = tznr_match(&found, a, b, &o)))
        die("match", rc);
    double c2 = now_s(), cpu2 = cpu_s();
    long rss = peak_rss_kib();
    double pairs = (double)n * (double)n;
    printf("LSH: K = %u, lambda = %u, seed 0x%llx (goal %s %g): every pair >= %.6f, mean at "
           "the threshold %.6f\n", k, tables, (unsigned long long)TZNR_LSH_DEFAULT_SEED,
           goal == TZNR_LSH_EVERY_PAIR ? "every pair" : "mean at threshold", recall, every, mean);
    printf("linkage wall time: %.2f s (choose + index %.2f s, search %.2f s) on %u threads, "
           "kernel %s; CPU time %.2f s\n", c2 - c0, c1 - c0, c2 - c1, st.threads, st.kernel,
           cpu2 - cpu0);
    printf("peak RSS: %.1f MiB (whole process, data included)\n", (double)rss / 1024.0);
    printf("candidate pairs (with repeats across tables): %llu; comparisons: %llu\n",
           (unsigned long long)st.candidates, (unsigned long long)st.comparisons);
    printf("reduction ratio: %.8f (1 - comparisons / N^2)\n", 1.0 - (double)st.comparisons / pairs);
    printf("pairs found >= %g: %zu\n", t, tznr_candidates_count(found));

    size_t nf;
    uint64_t *fv = pairs_of(found, &nf);
    /* planted pairs */
    size_t planted = 0, planted_ok = 0, planted_found = 0;
    for (size_t i = 0; i < n; i++) {
        if (truth_b[i] == UINT64_MAX)
            continue;
        planted++;
        double d;
        if ((rc = tznr_filter_dice(&d, tznr_clkset_get(a, i), tznr_clkset_get(b, truth_b[i]), len)))
            die("dice", rc);
        if (d >= t) {
            planted_ok++;
            planted_found += has_pair(fv, nf, i, truth_b[i]);
        }
    }
    printf("planted pairs: %zu, with Dice >= %g: %zu, found: %zu (completeness on planted "
           "pairs %.6f)\n", planted, t, planted_ok, planted_found,
           planted_ok ? (double)planted_found / (double)planted_ok : 1.0);

    o.lsh = NULL;
    o.stats = NULL;
    if (n <= exhaustive_max) {
        double e0 = now_s();
        tznr_candidates_t *ex;
        if ((rc = tznr_match(&ex, a, b, &o)))
            die("exhaustive", rc);
        double e1 = now_s();
        size_t ne;
        uint64_t *ev = pairs_of(ex, &ne);
        size_t common = 0;
        for (size_t i = 0; i < nf; i++)
            common += has_pair(ev, ne, fv[2 * i], fv[2 * i + 1]);
        printf("exhaustive search: %zu pairs >= %g in %.1f s; LSH pairs not in it: %zu\n", ne,
               t, e1 - e0, nf - common);
        printf("pair completeness (exact): %.6f\n", ne ? (double)common / (double)ne : 1.0);
        free(ev);
        tznr_candidates_free(ex);
    } else {
        /* sample of rows of A, exhaustive against all of B */
        tznr_clkset_t *sa;
        if ((rc = tznr_clkset_new(&sa, bits)))
            die("clkset", rc);
        size_t *rows = malloc(sample_rows * sizeof *rows);
        for (size_t s = 0; s < sample_rows; s++) {
            rows[s] = rnd() % n;
            if ((rc = tznr_clkset_append(sa, tznr_clkset_get(a, rows[s]), len)))
                die("append", rc);
        }
        double e0 = now_s();
        tznr_candidates_t *ex;
        if ((rc = tznr_match(&ex, sa, b, &o)))
            die("exhaustive sample", rc);
        double e1 = now_s();
        size_t ne = tznr_candidates_count(ex), got = 0, unplanted = 0;
        for (size_t i = 0; i < ne; i++) {
            uint64_t x, y;
            if ((rc = tznr_candidates_get(ex, i, &x, &y, NULL)))
                die("get", rc);
            got += has_pair(fv, nf, rows[x], y);
            unplanted += truth_b[rows[x]] != y;
        }
        printf("sample: %zu random rows of A x all of B by exhaustive search (%.1f s): %zu "
               "pairs >= %g, %zu of them not planted, %zu found by LSH (completeness on the "
               "sample %.6f)\n", sample_rows, e1 - e0, ne, t, unplanted, got,
               ne ? (double)got / (double)ne : 1.0);
        double est_unplanted = (double)unplanted * (double)n / (double)sample_rows;
        printf("estimated pairs >= %g not planted in all of A x B: %.1f; estimated pair "
               "completeness: >= %.6f (planted pairs exact; unplanted ones counted as missed)\n",
               t, est_unplanted,
               planted_ok ? (double)planted_found / ((double)planted_ok + est_unplanted) : 1.0);
        free(rows);
        tznr_candidates_free(ex);
        tznr_clkset_free(sa);
    }
    printf("\n");
    fflush(stdout);
    free(fv);
    free(truth_b);
    free(fa);
    free(f);
    tznr_candidates_free(found);
    tznr_lsh_free(lsh);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}

int main(int argc, char **argv)
{
    const char *ns = "100000,1000000";
    size_t bits = 1024, exhaustive_max = 200000, sample_rows = 2000;
    double t = 0.8, recall = 0.995;
    unsigned threads = 0;
    uint64_t seed = 20240611;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
            ns = argv[++i];
        else if (strcmp(argv[i], "--bits") == 0 && i + 1 < argc)
            bits = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--threshold") == 0 && i + 1 < argc)
            t = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--recall") == 0 && i + 1 < argc)
            recall = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--exhaustive-max") == 0 && i + 1 < argc)
            exhaustive_max = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--every-pair") == 0)
            goal = TZNR_LSH_EVERY_PAIR;
        else if (strcmp(argv[i], "--k") == 0 && i + 1 < argc)
            force_k = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--tables") == 0 && i + 1 < argc)
            force_tables = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--sample-rows") == 0 && i + 1 < argc)
            sample_rows = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_scale [--n N,...] [--bits B] [--threshold T] "
                            "[--recall R] [--threads N] [--seed S] [--exhaustive-max N] "
                            "[--sample-rows M] [--k K] [--tables L] [--every-pair]\n");
            return 2;
        }
    }
    if (bits == 0 || bits % 64 != 0) {
        fprintf(stderr, "bench_scale: --bits must be a positive multiple of 64\n");
        return 2;
    }
    char *list = strdup(ns);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
        run(strtoull(tok, NULL, 10), bits, t, recall, threads, seed, exhaustive_max, sample_rows);
    free(list);
    return 0;
}
