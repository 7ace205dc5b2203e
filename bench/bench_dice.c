/* bench_dice: Dice comparisons per second of every comparison kernel against a plain scalar
 * baseline, on the same random filters in the same run.
 *
 *   bench_dice [--n N] [--bits 512,1024,2048] [--threshold T] [--reps R] [--baseline-rows M]
 *
 * For each filter length: N x N random filters (each bit set with probability 1/2), the
 * baseline (below) on the first M rows of A (default all N) against all of B, then
 * tznr_match_stream() with each kernel this CPU runs, on 1 thread and on all online CPUs.
 * Every configuration runs R times, interleaved, and the best rate is kept (the machine may
 * be shared). Rates count all |A| x |B| pairs of the search, including the set-up of the
 * search (popcounts, layout of B), per second of wall time; the last column divides by the
 * CPU time of all threads instead (on a busy machine, where a second CPU is not free, it
 * shows whether threads add overhead). Every kernel and thread count must find the same
 * number of pairs (and as many as the baseline when it runs on all rows). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <tznr/tznr.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* splitmix64 (Steele, Lea & Flood 2014): benchmark data only, nothing secret */
static uint64_t rng_state = 0x5eed;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The plain baseline: a straightforward loop over the 64-bit words of each pair with
 * __builtin_popcountll, single thread, no tiling, with the POPCNT instruction enabled (as
 * anonlink is built); the same exact score and threshold as the library. */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
__attribute__((target("popcnt")))
#endif
static uint64_t baseline(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
                         size_t words, double t)
{
    uint64_t found = 0;
    uint64_t *pb = malloc(nb * sizeof *pb);
    for (size_t j = 0; j < nb; j++) {
        uint64_t c = 0;
        for (size_t w = 0; w < words; w++)
            c += (uint64_t)__builtin_popcountll(b[j * words + w]);
        pb[j] = c;
    }
    for (size_t i = 0; i < na; i++) {
        const uint64_t *x = a + i * words;
        uint64_t pa = 0;
        for (size_t w = 0; w < words; w++)
            pa += (uint64_t)__builtin_popcountll(x[w]);
        for (size_t j = 0; j < nb; j++) {
            const uint64_t *y = b + j * words;
            uint64_t c = 0;
            for (size_t w = 0; w < words; w++)
                c += (uint64_t)__builtin_popcountll(x[w] & y[w]);
            uint64_t s = pa + pb[j];
            double d = s ? (double)(2 * c) / (double)s : 0.0;
            found += d >= t;
        }
    }
    free(pb);
    return found;
}

static int count_sink(const tznr_pair_t *p, size_t n, void *user)
{
    (void)p;
    *(uint64_t *)user += n;
    return 0;
}

static void die(const char *what, tznr_error_t rc)
{
    fprintf(stderr, "bench_dice: %s: %s: %s\n", what, tznr_strerror(rc), tznr_last_error_message());
    exit(1);
}

typedef struct conf {
    const char *kernel;   /* NULL: baseline */
    unsigned threads;
    double best;          /* pairs per second (wall) */
    double best_cpu;      /* pairs per CPU second, all threads together */
    uint64_t found;
} conf;

int main(int argc, char **argv)
{
    size_t n = 20000, base_rows = 0;
    double t = 0.8;
    int reps = 3;
    const char *bits_list = "512,1024,2048";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--bits") == 0 && i + 1 < argc)
            bits_list = argv[++i];
        else if (strcmp(argv[i], "--threshold") == 0 && i + 1 < argc)
            t = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--baseline-rows") == 0 && i + 1 < argc)
            base_rows = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_dice [--n N] [--bits 512,1024,2048] [--threshold T] "
                            "[--reps R] [--baseline-rows M]\n");
            return 2;
        }
    }
    if (base_rows == 0 || base_rows > n)
        base_rows = n;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned all = cpus > 0 ? (unsigned)cpus : 1;
    const char *kernels[] = {"scalar", "avx2", "avx512"};
    printf("bench_dice: %zu x %zu random filters (density 0.5), threshold %g, best of %d, "
           "%u online CPUs, default kernel %s\n", n, n, t, reps, all, tznr_cpu_kernel());
    printf("baseline: plain __builtin_popcountll loop (POPCNT), 1 thread, first %zu rows of A\n\n",
           base_rows);
    printf("%6s  %-9s %7s  %14s  %11s  %11s  %14s\n", "bits", "kernel", "threads",
           "comparisons/s", "x baseline", "x 1 thread", "per CPU-second");

    char *list = strdup(bits_list);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        size_t bits = strtoull(tok, NULL, 10), words = bits / 64;
        if (bits == 0 || bits % 64) {
            fprintf(stderr, "bench_dice: %zu is not a multiple of 64\n", bits);
            return 2;
        }
        uint64_t *fa = malloc(n * words * 8), *fb = malloc(n * words * 8);
        tznr_clkset_t *a, *b;
        tznr_error_t rc;
        if ((rc = tznr_clkset_new(&a, bits)) || (rc = tznr_clkset_new(&b, bits)))
            die("clkset", rc);
        for (size_t i = 0; i < n * words; i++)
            fa[i] = rnd();
        for (size_t i = 0; i < n * words; i++)
            fb[i] = rnd();
        for (size_t i = 0; i < n; i++) {
            if ((rc = tznr_clkset_append(a, (const uint8_t *)(fa + i * words), bits / 8)) ||
                (rc = tznr_clkset_append(b, (const uint8_t *)(fb + i * words), bits / 8)))
                die("append", rc);
        }
        conf confs[1 + 2 * 3];
        size_t nc = 0;
        confs[nc++] = (conf){NULL, 1, 0, 0, 0};
        for (size_t k = 0; k < 3; k++) {
            if (!tznr_cpu_kernel_supported(kernels[k]))
                continue;
            confs[nc++] = (conf){kernels[k], 1, 0, 0, 0};
            if (all > 1)
                confs[nc++] = (conf){kernels[k], all, 0, 0, 0};
        }
        uint64_t base_found_rows = 0;
        for (int r = 0; r < reps; r++) {
            for (size_t c = 0; c < nc; c++) {
                double t0, t1, u0 = cpu_s();
                uint64_t found = 0, pairs;
                if (!confs[c].kernel) {
                    t0 = now_s();
                    found = baseline(fa, base_rows, fb, n, words, t);
                    t1 = now_s();
                    pairs = (uint64_t)base_rows * n;
                    base_found_rows = found;
                } else {
                    if ((rc = tznr_cpu_set_kernel(confs[c].kernel)))
                        die("set kernel", rc);
                    tznr_match_options_t o;
                    tznr_match_options_init(&o);
                    o.threshold = t;
                    o.threads = confs[c].threads;
                    t0 = now_s();
                    if ((rc = tznr_match_stream(a, b, &o, count_sink, &found)))
                        die("match", rc);
                    t1 = now_s();
                    pairs = (uint64_t)n * n;
                }
                double rate = (double)pairs / (t1 - t0), crate = (double)pairs / (cpu_s() - u0);
                if (rate > confs[c].best)
                    confs[c].best = rate;
                if (crate > confs[c].best_cpu)
                    confs[c].best_cpu = crate;
                confs[c].found = found;
            }
        }
        double base = confs[0].best, one = 0;
        for (size_t c = 0; c < nc; c++) {
            if (confs[c].kernel && confs[c].threads == 1)
                one = confs[c].best;
            char x1[32] = "";
            if (confs[c].kernel && confs[c].threads > 1)
                snprintf(x1, sizeof x1, "%.2f", confs[c].best / one);
            printf("%6zu  %-9s %7u  %14.4g  %11.2f  %11s  %14.4g\n", bits,
                   confs[c].kernel ? confs[c].kernel : "baseline", confs[c].threads,
                   confs[c].best, confs[c].best / base, x1, confs[c].best_cpu);
            /* every kernel and thread count finds as many pairs as the first kernel, and
             * as the baseline when it ran on all rows */
            uint64_t want = base_rows == n ? base_found_rows : confs[1].found;
            if (confs[c].kernel && confs[c].found != want) {
                fprintf(stderr, "bench_dice: %s on %u threads found %llu pairs, expected %llu\n",
                        confs[c].kernel, confs[c].threads, (unsigned long long)confs[c].found,
                        (unsigned long long)want);
                return 1;
            }
        }
        printf("%6s  pairs >= %g: %llu\n\n", "", t, (unsigned long long)confs[nc - 1].found);
        tznr_clkset_free(a);
        tznr_clkset_free(b);
        free(fa);
        free(fb);
    }
    free(list);
    return 0;
}
