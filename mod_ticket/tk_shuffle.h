/* tk_shuffle.h: the pre-queue's random order, without the database.
 *
 * At a sale's start everyone who entered the pre-queue before it gets a
 * uniformly random place, decided once for all hosts by a 16-byte random
 * key: place = π(index), where π is a keyed pseudo-random permutation of
 * [0, size). A waiting poll computes its token's place from the snapshot's
 * key and size; the admission (sql/functions/15_shuffle.sql, the same
 * construction bit for bit) needs the inverse: which index has place k.
 *
 * The construction (both sides must keep to it exactly):
 *
 *   h    = the smallest h >= 1 with 4^h >= size (half width, bits);
 *          w = 2h is the smallest even width >= 2 with 2^w >= size;
 *          mask = 2^h - 1.
 *   F(i, R) = the first 8 bytes, big-endian, of
 *             SHA-256(key (16 bytes) || byte(i) || R as int64 big-endian
 *             (8 bytes)), AND mask.
 *   One Feistel pass over x in [0, 2^w): L = x >> h (the high half),
 *   R = x & mask (the low half); for rounds i = 0, 1, ..., 5:
 *       (L, R) <- (R, L XOR F(i, R));
 *   the result is (L << h) | R. The inverse pass: for i = 5, 4, ..., 0:
 *       (L, R) <- (R XOR F(i, L), L).
 *   Cycle walking: place(index) applies the pass to index, again and again,
 *   until the value is < size; index(place) applies the inverse pass the
 *   same way. The chain ends, at worst back at its start (it is one cycle
 *   of a permutation), and 2^w < 4 * size: fewer than 4 passes on average
 *   (2^w / size).
 *
 * Six rounds, not fewer than 4: a Feistel network whose round functions are
 * pseudo-random is a pseudo-random permutation from 3 rounds and a strong
 * one (indistinguishable even to who may also ask for inverses, as the
 * admission does) from 4 rounds (Luby-Rackoff); with fewer it is easily
 * told from random (2 rounds: L' XOR L of two inputs with the same R
 * gives them away). Their bound holds up to about 2^(h/2) values seen,
 * few for the small halves here; from 5 and 6 rounds it holds up to about
 * 2^h (Patarin, Crypto 2004). */
#ifndef TK_SHUFFLE_H
#define TK_SHUFFLE_H

#include <stdint.h>

#define TK_SHUFFLE_KEY_BYTES 16
#define TK_SHUFFLE_ROUNDS 6
/* The largest size: 2^62 (w = 62, each half 31 bits), so that every value
 * fits in a signed 64-bit integer in C and in SQL (bigint). */
#define TK_SHUFFLE_MAX_SIZE (INT64_C(1) << 62)

/* The place (0-based) of index in [0, size); -1 when index is outside it,
 * size < 1 or size > TK_SHUFFLE_MAX_SIZE, or libcrypto fails (out of
 * memory). */
int64_t tk_shuffle_place(const unsigned char key[TK_SHUFFLE_KEY_BYTES],
                         int64_t size, int64_t index);

/* The inverse: the index whose place is place; -1 as above. */
int64_t tk_shuffle_index(const unsigned char key[TK_SHUFFLE_KEY_BYTES],
                         int64_t size, int64_t place);

/* The key from its hex text (PostgreSQL's encode(key, 'hex')): exactly 32
 * hex digits, either case. 0, or -1 (and key untouched) for anything else. */
int tk_shuffle_key_from_hex(const char *hex,
                            unsigned char key[TK_SHUFFLE_KEY_BYTES]);

#endif
