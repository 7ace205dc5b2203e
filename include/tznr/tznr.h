/**
 * @file tznr.h
 * @brief Umbrella header: include this one. tznr is a privacy-preserving record linkage
 *        (PPRL) library: keyed Bloom-filter encodings (CLKs) made by data custodians, and
 *        Dice-coefficient matching done by a linkage unit that never sees identifiers.
 */
#ifndef TZNR_TZNR_H
#define TZNR_TZNR_H

#include <tznr/version.h>
#include <tznr/common.h>
#include <tznr/schema.h>
#include <tznr/encoder.h>
#include <tznr/clkset.h>
#include <tznr/compare.h>
#include <tznr/block.h>
#include <tznr/fs.h>
#include <tznr/container.h>
#include <tznr/link.h>
#include <tznr/audit.h>

#endif
