/* mod_ticket_config.c: the Ticket* directives. Each value is checked in
 * its handler so that "apachectl -t" fails naming the directive; the rules
 * live in tk_config.c. Server config follows mod_dbd/mod_md: an unset
 * sentinel, defaults from the spec table, field-by-field merge. */
#include <http_core.h>
#include <apr_strings.h>
#include "mod_ticket_private.h"

extern module AP_MODULE_DECLARE_DATA ticket_module;

void *mt_create_server_conf(apr_pool_t *p, server_rec *s)
{
    mt_server_conf *c = apr_pcalloc(p, sizeof(*c));
    int i;

    (void)s;
    for (i = 0; i < TK_CONF__NUMBERS; ++i) {
        c->numbers[i] = MT_UNSET;
    }
    c->queue_mode = MT_UNSET;
    c->identity = MT_UNSET;
    c->prepared_statements = MT_UNSET;
    c->sale_start = MT_UNSET;
    return c;
}

void *mt_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const mt_server_conf *base = basev, *add = addv;
    mt_server_conf *c = apr_pcalloc(p, sizeof(*c));
    int i;

    for (i = 0; i < TK_CONF__NUMBERS; ++i) {
        c->numbers[i] = add->numbers[i] != MT_UNSET ? add->numbers[i]
                                                    : base->numbers[i];
    }
    c->queue_mode = add->queue_mode != MT_UNSET ? add->queue_mode
                                                : base->queue_mode;
    c->identity = add->identity != MT_UNSET ? add->identity : base->identity;
    c->prepared_statements = add->prepared_statements != MT_UNSET
                             ? add->prepared_statements : base->prepared_statements;
    c->sale_start = add->sale_start_text ? add->sale_start : base->sale_start;
    c->sale_start_text = add->sale_start_text ? add->sale_start_text
                                              : base->sale_start_text;
    if (add->secret_file) {
        c->secret_file = add->secret_file;
        c->secret = add->secret;
        c->secret_len = add->secret_len;
    }
    else {
        c->secret_file = base->secret_file;
        c->secret = base->secret;
        c->secret_len = base->secret_len;
    }
    return c;
}

mt_server_conf *mt_server_conf_of(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &ticket_module);
}

int64_t mt_conf_number(const server_rec *s, tk_conf_number which)
{
    int64_t v = mt_server_conf_of(s)->numbers[which];
    return v != MT_UNSET ? v : tk_conf_spec_of(which)->def;
}

const char *mt_conf_param(apr_pool_t *p, const server_rec *s,
                          tk_conf_number which)
{
    return mt_i64_text(p, mt_conf_number(s, which));
}

tk_queue_mode mt_conf_queue_mode(const server_rec *s)
{
    int v = mt_server_conf_of(s)->queue_mode;
    return v == MT_UNSET ? TK_QUEUE_OPEN : (tk_queue_mode)v;
}

const char *mt_conf_sale_start(const server_rec *s)
{
    return mt_server_conf_of(s)->sale_start_text;
}

void mt_conf_queue_rules(const server_rec *s, tk_queue_rules *rules)
{
    const mt_server_conf *c = mt_server_conf_of(s);

    rules->sale_start = c->sale_start_text ? c->sale_start : 0;
    rules->paused = mt_conf_queue_mode(s) == TK_QUEUE_PAUSED;
    rules->capacity = mt_conf_number(s, TK_CONF_CAPACITY);
    rules->admit_rate = mt_conf_number(s, TK_CONF_ADMIT_RATE);
    rules->interval = mt_conf_number(s, TK_CONF_ADVANCE_INTERVAL);
    rules->claim_timeout = mt_conf_number(s, TK_CONF_CLAIM_TIMEOUT);
}

static const char *set_number(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    tk_conf_number which = (tk_conf_number)(intptr_t)cmd->info;
    mt_server_conf *c = mt_server_conf_of(cmd->server);

    (void)dummy;
    if (err) {
        return err;
    }
    return tk_conf_read_number(cmd->pool, which, arg, &c->numbers[which]);
}

static const char *set_queue(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dummy;
    return err ? err : tk_conf_read_queue_mode(cmd->pool, arg,
                                               &mt_server_conf_of(cmd->server)->queue_mode);
}

tk_identity mt_conf_identity(const server_rec *s)
{
    int v = mt_server_conf_of(s)->identity;
    return v == MT_UNSET ? TK_IDENTITY_BODY : (tk_identity)v;
}

static const char *set_identity(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dummy;
    return err ? err : tk_conf_read_identity(cmd->pool, arg,
                                             &mt_server_conf_of(cmd->server)->identity);
}

int mt_conf_prepared_statements(const server_rec *s)
{
    return mt_server_conf_of(s)->prepared_statements != 0;     /* On unless Off */
}

/* (httpd checks the On|Off itself, naming the directive) */
static const char *set_prepared_statements(cmd_parms *cmd, void *dummy, int on)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dummy;
    if (!err) {
        mt_server_conf_of(cmd->server)->prepared_statements = on;
    }
    return err;
}

static const char *set_sale_start(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    mt_server_conf *c = mt_server_conf_of(cmd->server);

    (void)dummy;
    if (!err && !(err = tk_conf_read_instant(cmd->pool, arg, &c->sale_start))) {
        c->sale_start_text = arg;
    }
    return err;
}

/* Read here, as root and before privileges drop, so that the file can be
 * readable by root only. */
static const char *set_secret_file(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    mt_server_conf *c = mt_server_conf_of(cmd->server);
    const char *path = ap_server_root_relative(cmd->pool, arg);

    (void)dummy;
    if (err) {
        return err;
    }
    if (!path) {
        return apr_psprintf(cmd->pool, "TicketSecretFile: invalid path '%s'", arg);
    }
    err = tk_conf_read_secret(cmd->pool, path, &c->secret, &c->secret_len);
    if (!err) {
        c->secret_file = path;
    }
    return err;
}

/* help: "tokens in service at once (1-1000000, default 100)" */
#define NUMBER_DIRECTIVE(id, name, min, max, def, help) \
    AP_INIT_TAKE1(name, set_number, (void *)(intptr_t)TK_CONF_##id, RSRC_CONF, \
                  help " (" #min "-" #max ", default " #def ")"),

const command_rec mt_directives[] = {
    TK_CONF_NUMBER_LIST(NUMBER_DIRECTIVE)
    AP_INIT_TAKE1("TicketQueue", set_queue, NULL, RSRC_CONF,
                  "Open, Paused (entries taken, nobody admitted) or Closed (entries refused)"),
    AP_INIT_TAKE1("TicketIdentity", set_identity, NULL, RSRC_CONF,
                  "Body or RemoteUser: the caller is the body's userId, or "
                  "the user the site's authentication put in r->user"),
    AP_INIT_FLAG("TicketPreparedStatements", set_prepared_statements, NULL, RSRC_CONF,
                 "On: each statement prepared once per database session; Off: "
                 "unnamed statements, for a pooler in transaction mode (PgBouncer)"),
    AP_INIT_TAKE1("TicketSaleStart", set_sale_start, NULL, RSRC_CONF,
                  "RFC 3339 instant with an offset: before it, entries wait in "
                  "a pre-queue that is shuffled at the start"),
    AP_INIT_TAKE1("TicketSecretFile", set_secret_file, NULL, RSRC_CONF,
                  "file holding the token-signing secret (32+ random bytes)"),
    {NULL}
};
