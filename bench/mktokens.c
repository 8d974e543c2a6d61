/* mktokens.c: turns "seq user rest" lines into "token<TAB>rest" lines with
 * the module's own token codec (tk_token.c) and a secret file, so that the
 * benchmark can prepare tokens for rows it inserts in bulk.
 * Usage: mktokens SECRET_FILE < in > out */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tk_token.h"

int main(int argc, char **argv)
{
    unsigned char secret[4096];
    char line[4096], text[TK_TOKEN_MAX_LEN];
    size_t n;
    FILE *f;

    if (argc != 2 || !(f = fopen(argv[1], "rb"))) {
        fprintf(stderr, "usage: mktokens SECRET_FILE < lines\n");
        return 2;
    }
    n = fread(secret, 1, sizeof(secret), f);
    fclose(f);
    while (fgets(line, sizeof(line), stdin)) {
        tk_token t;
        char *rest;
        long long seq, user;
        int used = 0;

        if (sscanf(line, "%lld %lld%n", &seq, &user, &used) != 2) {
            continue;
        }
        rest = line + used;
        while (*rest == ' ' || *rest == '\t') ++rest;
        rest[strcspn(rest, "\n")] = '\0';
        t.seq = seq;
        t.user_id = user;
        if (tk_token_encode(secret, n, &t, text, sizeof(text)) != 0) {
            return 1;
        }
        printf("%s\t%s\n", text, rest);
    }
    return 0;
}
