/**
 * @file common.h
 * @brief Export macros, status codes and error reporting shared by every tznr header.
 *
 * @par Thread safety
 * tznr_strerror() and the version functions are pure. The detail message returned by
 * tznr_last_error_message() is kept per thread: it describes the last failure of a tznr call
 * made on the calling thread, and is overwritten by the next failing call on that thread.
 */
#ifndef TZNR_COMMON_H
#define TZNR_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(TZNR_BUILDING_DLL)
#    define TZNR_API __declspec(dllexport)
#  elif defined(TZNR_STATIC)
#    define TZNR_API
#  else
#    define TZNR_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define TZNR_API __attribute__((visibility("default")))
#else
#  define TZNR_API
#endif

#if defined(__GNUC__)
#  define TZNR_NODISCARD __attribute__((warn_unused_result))
#else
#  define TZNR_NODISCARD
#endif

/**
 * @brief Status codes returned by every fallible tznr function.
 *
 * Numbers are frozen once released and only ever appended to. Zero is success; failures are
 * negative. A failing call also leaves a human-readable detail for the calling thread, see
 * tznr_last_error_message().
 */
typedef enum tznr_error {
    TZNR_OK           =   0, /**< Success. */
    TZNR_EINVAL       =  -1, /**< Invalid argument: NULL pointer, out-of-range value, wrong length. */
    TZNR_ENOMEM       =  -2, /**< Out of memory. */
    TZNR_EBUFSIZE     =  -3, /**< A caller buffer has the wrong size. */
    TZNR_ESTATE       =  -4, /**< Call not allowed in the object's current state. */
    TZNR_ECRYPTO      =  -5, /**< The cryptographic library (OpenSSL) reported a failure. */
    TZNR_EUNSUPPORTED =  -6, /**< A valid but unsupported option (e.g. a text encoding). */
    TZNR_EIO          =  -7, /**< A file could not be opened, read, written or renamed. */
    TZNR_ESCHEMA      =  -8, /**< The linkage schema is invalid (the detail names the JSON path and rule). */
    TZNR_EINPUT       =  -9, /**< An input record is invalid (the detail names file, line, column and rule). */
    TZNR_EFORMAT      = -10, /**< An encoded file (e.g. a CLK JSON file) is malformed. */
    TZNR_EEXIST       = -11, /**< The output file exists and overwriting was not allowed. */
    TZNR_ELIMIT       = -12  /**< A documented size limit was exceeded. */
} tznr_error_t;

/**
 * @brief Progress callback for long-running calls (encoding, matching).
 *
 * Called from the thread that made the call, at most a few times per second, with the work
 * done so far and the total (both in the unit the calling function documents, e.g. records
 * or comparisons; @p total is 0 when unknown). The library never prints: drawing a progress
 * bar is the caller's business.
 *
 * @param[in] done   Units of work completed.
 * @param[in] total  Units of work in all, or 0 if unknown.
 * @param[in] user   The pointer given along with the callback.
 * @return 0 to continue; non-zero to cancel (the call then returns ::TZNR_ESTATE and
 *         writes nothing).
 */
typedef int (*tznr_progress_fn)(uint64_t done, uint64_t total, void *user);

/**
 * @brief Static English text for a status code.
 * @param[in] err  Any value; unknown codes give "unknown error".
 * @return A static NUL-terminated string, never NULL. Do not free.
 * @par Thread safety
 * Pure; safe from any thread.
 * @since 0.1
 */
TZNR_API const char *tznr_strerror(tznr_error_t err);

/**
 * @brief Detail of the last failure on the calling thread.
 *
 * The text names what failed and why (for input errors: file, line, column and rule). It
 * never contains secret material. It is meaningful only right after a call that returned a
 * non-zero status on the same thread.
 *
 * @return A NUL-terminated string owned by the library, valid until the next tznr call on
 *         this thread; the empty string if there is no detail. Never NULL.
 * @par Thread safety
 * Thread-local; safe from any thread.
 * @since 0.1
 */
TZNR_API const char *tznr_last_error_message(void);

/**
 * @brief Run-time library version as MAJOR*10000 + MINOR*100 + PATCH.
 * @return The version of the loaded library; compare with ::TZNR_VERSION_NUMBER.
 * @par Thread safety
 * Pure.
 * @since 0.1
 */
TZNR_API unsigned tznr_version_number(void);

/**
 * @brief Run-time library version as a string.
 * @return A static string "MAJOR.MINOR.PATCH". Do not free.
 * @par Thread safety
 * Pure.
 * @since 0.1
 */
TZNR_API const char *tznr_version_string(void);

/**
 * @brief Remove the temporary files of every output being written (for signal handlers).
 *
 * Outputs are written to a temporary file in the destination directory and renamed only
 * when complete. A program stopped by a signal in the middle would leave that temporary file
 * behind; calling this function from its SIGINT/SIGTERM/SIGHUP handler (before exiting)
 * removes them. Destinations are never touched: they keep their previous content or do not
 * exist. Up to 32 outputs in flight are tracked.
 *
 * @par Thread safety
 * Async-signal-safe (it only calls unlink()); safe from any thread.
 * @since 0.1
 */
TZNR_API void tznr_abort_outputs(void);

#ifdef __cplusplus
}
#endif
#endif
