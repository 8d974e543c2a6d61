/* tk_token.h: queue tokens that cannot be forged.
 *
 * A token is "<seq>.<userId>.<mac>": the queue sequence number, the user,
 * and base64url(HMAC-SHA256(secret, "tk1:<seq>:<userId>")); a token bound
 * to its caller (TicketIdentity RemoteUser) has the caller's user name in
 * the MAC, "tk2:<seq>:<userId>:<name>", so that on another user's request
 * it is simply not genuine, with no database to ask. The secret is
 * shared by every httpd host of one database (TicketSecretFile). Being
 * derived from (seq, user) only, a token is the same string every time the
 * same live queue entry is handed out. */
#ifndef TK_TOKEN_H
#define TK_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TK_SECRET_MIN_BYTES 32
#define TK_TOKEN_MAX_LEN 96     /* 19 + 1 + 19 + 1 + 43, with room */

typedef struct {
    int64_t seq;
    int64_t user_id;
} tk_token;

/* Writes the token text (NUL-terminated) into out; 0 on success, -1 when
 * out is too small or the HMAC fails. */
int tk_token_encode(const unsigned char *secret, size_t secret_len,
                    const tk_token *t, char *out, size_t outsz);

/* The same for a token bound to caller (a user name, tk_parse_user_name;
 * NULL: not bound). */
int tk_token_encode_for(const unsigned char *secret, size_t secret_len,
                        const tk_token *t, const char *caller, char *out,
                        size_t outsz);

/* 1 and *t filled when text is a token made with this secret; 0 for
 * anything else (malformed, forged, other secret). */
int tk_token_decode(const unsigned char *secret, size_t secret_len,
                    const char *text, tk_token *t);
/* The same for a token bound to caller (NULL: not bound): a token bound to
 * another caller, or to none, is not genuine. */
int tk_token_decode_for(const unsigned char *secret, size_t secret_len,
                        const char *text, const char *caller, tk_token *t);

/* The token inside an Authorization header value: the raw token or
 * "Bearer <token>", surrounding blanks ignored. Copies it into out and
 * returns out, or NULL when there is none or it is longer than outsz-1. */
const char *tk_token_from_authorization(const char *header, char *out,
                                        size_t outsz);

#endif
