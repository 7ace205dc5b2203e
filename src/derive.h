/* Internal: value derivation across the columns of one row (tznr extension
 * `features[i].derive`, docs/schema.md "Derived values: qualified codes and code history").
 *
 * A feature with `derive` is not hashed from its own column alone: its value is
 *     QUALIFIER "|" CODE
 * where QUALIFIER is the (normalised, whitespace-stripped) value of the qualifier column and
 * CODE the feature's own normalised value, first mapped through the history table: an entry
 * (type, code, [from, until]) whose type equals the qualifier, whose code equals the code and
 * whose period holds the row's date (dateColumn) replaces the code by `to` (and the qualifier
 * by `toType`), repeatedly (the table is acyclic); an entry without `to`/`toType` marks the
 * code retired for that period: the value becomes missing (no bits: neutral in linkage).
 * Parsed and checked by schema.c at load time; applied by encoder.c to every row. */
#ifndef TZNR_SRC_DERIVE_H
#define TZNR_SRC_DERIVE_H
#include <stddef.h>
#include "json.h"
#include "schema_internal.h"

#define TZNR__DERIVE_SEP '|'

typedef struct tznr__hist_entry {
    char *type, *code;          /* the code as normalised by the feature's format */
    char *to_type, *to;         /* both NULL: retired (the value becomes missing) */
    long from, until;           /* inclusive, as YYYYMMDD numbers; 0 / LONG_MAX when open */
    int dated;                  /* from or until given: the row's date is needed */
    size_t index;               /* position in the JSON table, for messages */
} tznr__hist_entry;

typedef struct tznr__derive {
    char *qualifier_name;       /* column names, resolved to indices after all features */
    char *date_name;            /* NULL: no dateColumn */
    char *date_format;          /* NULL: the date column's own format */
    long qualifier, date_col;   /* feature indices; date_col -1 when none */
    const tznr__feature *date_parser;   /* the date column's feature or &own_date */
    tznr__feature own_date;     /* a date feature with date_format, when given */
    tznr__hist_entry *table;    /* sorted by (type, code, from) */
    size_t n_table;
    int any_dated;
} tznr__derive;

/* features[idx].derive = dj: checks keys, types, dates, entry codes (against f's format),
 * overlaps and cycles. Column names are only stored: see tznr__derive_resolve. */
tznr_error_t tznr__derive_parse(tznr__feature *f, size_t idx, const json_t *dj,
                                const char *path);
/* After every feature is parsed: resolve qualifier and dateColumn names to features, check
 * the date format and the table's types against the qualifier's format. */
tznr_error_t tznr__derive_resolve(struct tznr_schema *s);
void tznr__derive_free(tznr__derive *d);
/* schema.c: the rule for format.type date's "format" (supported strptime directives). */
tznr_error_t tznr__schema_check_date_format(const char *fmt, const char *path);

/* The value feature fi hashes for this row (values/lens: one per schema feature, as in
 * encode_rec): *out a malloc'd NUL-terminated "QUALIFIER|CODE" (caller frees, wiped), or
 * *out NULL and *is_missing 1 when the code or the qualifier is missing, the code is
 * retired, or a dated mapping applies and the row has no date. TZNR_EINPUT (detail
 * "column 'NAME': RULE") for an invalid code, qualifier or (when needed) date. */
tznr_error_t tznr__derive_value(const struct tznr_schema *s, size_t fi,
                                const char *const *values, const size_t *lens, char **out,
                                size_t *out_len, int *is_missing);
#endif
