/* Internal: the parsed linkage schema. Filled by schema.c, read by normalise.c, tokenise.c,
 * encoder.c. Immutable after tznr_schema_new_*. */
#ifndef TZNR_SRC_SCHEMA_INTERNAL_H
#define TZNR_SRC_SCHEMA_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include "tznr/schema.h"
#include "unicode.h"

typedef enum { TZNR__FMT_STRING, TZNR__FMT_INTEGER, TZNR__FMT_DATE, TZNR__FMT_ENUM } tznr__fmt_type;
typedef enum { TZNR__ENC_UTF8, TZNR__ENC_ASCII } tznr__text_enc;
typedef enum { TZNR__CASE_MIXED, TZNR__CASE_UPPER, TZNR__CASE_LOWER } tznr__case;
typedef enum { TZNR__CMP_NGRAM, TZNR__CMP_EXACT, TZNR__CMP_NUMERIC } tznr__cmp_type;
typedef enum { TZNR__STRAT_BITS_PER_TOKEN, TZNR__STRAT_BITS_PER_FEATURE } tznr__strategy;
typedef enum { TZNR__HASH_BLAKE, TZNR__HASH_DOUBLE } tznr__hash_type;

#define TZNR__MAX_LEVELS 15

typedef struct tznr__feature {
    char *name;                 /* identifier, NUL-terminated UTF-8 */
    int ignored;                /* 1: read but not encoded; nothing below is set */

    /* format */
    tznr__fmt_type fmt;
    tznr__text_enc encoding;    /* string: token bytes encoding (default utf-8) */
    tznr__case text_case;       /* string: validation only (default mixed) */
    long min_length, max_length;/* string: code points; -1 = unset */
    char *pattern;              /* string: regex source (fully matched), NULL = unset */
    void *pattern_code;         /* pcre2_code* compiled with PCRE2_UTF, owned */
    int has_minimum, has_maximum;
    int64_t minimum, maximum;   /* integer */
    char *date_format;          /* date: strptime format, e.g. "%Y-%m-%d" */
    char **enum_values;         /* enum */
    size_t n_enum_values;
    tznr__unorm norm;           /* tznr extension format.normalise (string, enum): applied to
                                   the raw value before validation; all zero = absent */

    /* hashing */
    tznr__cmp_type cmp;
    unsigned ngram_n;           /* ngram: n >= 1 */
    int positional;             /* ngram */
    double threshold_distance;  /* numeric: > 0 */
    unsigned resolution;        /* numeric: >= 1 */
    unsigned fractional_precision; /* numeric: default 0 */
    tznr__strategy strategy;
    unsigned strategy_value;    /* bitsPerToken or bitsPerFeature, >= 1 */
    tznr__hash_type hash;       /* default blakeHash */
    int prevent_singularity;    /* doubleHash only */

    /* missing values */
    int has_sentinel;           /* clkhash "sentinel": exact compare; value replaced by
                                   replace_with (defaults to the sentinel itself) */
    char *sentinel;
    char **sentinels;           /* tznr extension "sentinels": compare after stripping
                                   whitespace; matched -> missing (no tokens) unless
                                   replace_with is set */
    size_t n_sentinels;
    char *replace_with;         /* NULL = unset */

    /* tznr extension "linkage": probabilistic linkage on field-level filters */
    double levels[TZNR__MAX_LEVELS];  /* Dice thresholds, strictly decreasing, in (0, 1] */
    unsigned n_levels;          /* thresholds; the comparison has n_levels + 1 levels (the last
                                   is "else") plus a missing level */
    int compare;                /* 1: used in probabilistic linkage (default for encoded fields) */
    char *group;                /* linkage.group: name of the comparison group, NULL = none.
                                   The members of a group form one comparison column (best
                                   Dice over all cross pairs of members) */
    long group_first;           /* index of the group's first member, whose hashing keys every
                                   member uses (so that cross-member Dice is meaningful);
                                   -1 = not in a group (the feature's own keys) */

    /* tznr extension "derive": the hashed value is derived from this and other columns of
       the row (src/derive.h); NULL = none */
    struct tznr__derive *derive;
} tznr__feature;

struct tznr_schema {
    unsigned version;           /* 3 (absent -> 3) */
    size_t l;                   /* CLK bits after folding; multiple of 64 */
    unsigned xor_folds;         /* hashing length = l << xor_folds */
    int kdf_md;                 /* 256 or 512 (tznr__md) */
    uint8_t *salt; size_t salt_len; int has_salt;
    uint8_t *info; size_t info_len;
    size_t key_size;            /* bytes per key, default 64 */
    tznr__feature *features;
    size_t n_features;
    long id_index;              /* tznr extension linkage.idColumn: feature index, -1 = none */
    uint8_t fingerprint[32];    /* SHA-256 of the canonical JSON (sorted keys, compact) */
};
#endif
