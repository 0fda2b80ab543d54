/*
 * ascii: the byte-level helpers every parser needs, said once. Protocol
 * keywords, header names and address domains compare without regard to
 * ASCII case; bytes >= 0x80 are never folded. Pure functions.
 */
#ifndef MDROP_ASCII_H
#define MDROP_ASCII_H

#include <stddef.h>
#include <stdint.h>

/* c with A-Z made a-z. */
int ascii_lower(int c);

/* 1 when c is an ASCII letter (A-Z, a-z). */
int ascii_isalpha(int c);

/* s (NUL-terminated) lower-cased in place. */
void ascii_lower_str(char *s);

/* 1 when a[0..alen) and b[0..blen) are equal without regard to case. */
int ascii_caseeq(const char *a, size_t alen, const char *b, size_t blen);

/* 1 when s[0..len) starts with word (NUL-terminated), case ignored. */
int ascii_caseprefix(const char *s, size_t len, const char *word);

/* The value of hex digit c (either case), or -1. */
int ascii_hexval(int c);

/* FNV-1a, 64 bits, over s[0..len); fold != 0: A-Z hashed as a-z (for
 * addresses and names that are one whatever their case). */
uint64_t ascii_hash(const char *s, size_t len, int fold);

#endif
