/* One-time run-time choice of the comparison kernel: the TZNR_KERNEL environment variable
 * when it names a kernel this CPU runs, else the best one (avx512 > avx2 > scalar); changed
 * later only by tznr_cpu_set_kernel(). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "kernels/kernels.h"
#include "tznr/compare.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define TZNR__X86 1
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Atomic(const tznr__kernel *) current;

/* the table for a kernel name if this CPU runs it, else NULL */
static const tznr__kernel *lookup(const char *name)
{
#ifdef TZNR__X86
    __builtin_cpu_init();
    int popcnt = __builtin_cpu_supports("popcnt");
    if (strcmp(name, "scalar") == 0)
        return popcnt ? &tznr__kernel_scalar_popcnt : &tznr__kernel_scalar;
    if (strcmp(name, "avx2") == 0)
        return popcnt && __builtin_cpu_supports("avx2") ? &tznr__kernel_avx2 : NULL;
    if (strcmp(name, "avx512") == 0)
        return popcnt && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                       __builtin_cpu_supports("avx512vl") &&
                       __builtin_cpu_supports("avx512vpopcntdq")
                   ? &tznr__kernel_avx512
                   : NULL;
    return NULL;
#else
    return strcmp(name, "scalar") == 0 ? &tznr__kernel_scalar : NULL;
#endif
}

static const tznr__kernel *best(void)
{
    static const char *const order[] = {"avx512", "avx2", "scalar"};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const tznr__kernel *k = lookup(order[i]);
        if (k)
            return k;
    }
    return &tznr__kernel_scalar;
}

static void init(void)
{
    const char *env = getenv("TZNR_KERNEL");
    const tznr__kernel *k = env && *env ? lookup(env) : NULL;
    atomic_store(&current, k ? k : best());
}

const tznr__kernel *tznr__kernel_get(void)
{
    pthread_once(&once, init);
    return atomic_load(&current);
}

const char *tznr_cpu_kernel(void) { return tznr__kernel_get()->name; }

static int known(const char *name)
{
    return strcmp(name, "scalar") == 0 || strcmp(name, "avx2") == 0 || strcmp(name, "avx512") == 0;
}

int tznr_cpu_kernel_supported(const char *name)
{
    if (!name)
        return 0;
    if (strcmp(name, "auto") == 0)
        return 1;
    return known(name) && lookup(name) != NULL;
}

tznr_error_t tznr_cpu_set_kernel(const char *name)
{
    if (!name)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    pthread_once(&once, init);
    if (strcmp(name, "auto") == 0) {
        atomic_store(&current, best());
        return TZNR_OK;
    }
    if (!known(name))
        return tznr__err(TZNR_EINVAL, "unknown kernel '%s' (expected auto, scalar, avx2 or avx512)",
                         name);
    const tznr__kernel *k = lookup(name);
    if (!k)
        return tznr__err(TZNR_EUNSUPPORTED, "this CPU cannot run the %s kernel", name);
    atomic_store(&current, k);
    return TZNR_OK;
}
