/* storm.c: a sale, played. USERS users enter in a burst, poll as
 * pollAfterMs says, and those admitted look up a date and a seat, hold it,
 * charge its price and pay, until every seat is sold. Then the database is
 * checked: no seat booked twice, every booked seat paid exactly once, no
 * payment without a booking, balance = charges - payments for every user.
 * Usage: storm PORT CONNINFO USERS SEATS THREADS (the seats of concert 1,
 * on any of its dates) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <libpq-fe.h>

enum { ENTER, WAIT, BUY, DONE };

typedef struct {
    long user;
    int state;
    double due;
    char token[128];
    long ticket, price;     /* a hold not paid yet (0: none) */
    int charged;            /* its price charged */
} user_t;

typedef struct {
    int id;
    CURL *curl;
    char body[65536];
    size_t len;
    double *polls;          /* poll latencies, seconds */
    long npolls, cap;
} worker_t;

static int port, nusers, nthreads, seats_total;
static volatile int paid, stop, entered;
static double t0, last_entry, sold_out_at, first_admitted;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_body(char *d, size_t s, size_t n, void *arg)
{
    worker_t *w = arg;
    size_t len = s * n, room = sizeof(w->body) - 1 - w->len;
    memcpy(w->body + w->len, d, len < room ? len : room);
    w->len += len < room ? len : room;
    w->body[w->len] = '\0';
    return len;
}

/* One request; returns the status and the parsed body (caller puts). */
static long call(worker_t *w, const char *method, const char *path,
                 const char *token, const char *body, json_object **json)
{
    char url[256], auth[200];
    struct curl_slist *h = NULL;
    long status = 0;

    w->len = 0;
    w->body[0] = '\0';
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(w->curl, CURLOPT_URL, url);
    curl_easy_setopt(w->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, w);
    curl_easy_setopt(w->curl, CURLOPT_TIMEOUT, 30L);
    if (token) {
        snprintf(auth, sizeof(auth), "Authorization: %s", token);
        h = curl_slist_append(h, auth);
    }
    curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE, body ? (long)strlen(body) : 0L);
    if (curl_easy_perform(w->curl) == CURLE_OK) {
        curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(h);
    *json = json_tokener_parse(w->body);
    return status;
}

static long jint(json_object *o, const char *k)
{
    json_object *v;
    return o && json_object_object_get_ex(o, k, &v) ? (long)json_object_get_int64(v) : -1;
}

static const char *jstr(json_object *o, const char *k)
{
    json_object *v;
    return o && json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/* The first admission any user saw: the sale's buying starts there. */
static void admitted(user_t *u)
{
    u->state = BUY;
    u->due = now();
    pthread_mutex_lock(&lock);
    if (first_admitted == 0) first_admitted = now();
    pthread_mutex_unlock(&lock);
}

static void enter(worker_t *w, user_t *u)
{
    char body[64];
    json_object *j;
    const char *token;

    snprintf(body, sizeof(body), "{\"userId\": %ld}", u->user);
    if (call(w, "POST", "/queues", NULL, body, &j) == 200
        && (token = jstr(j, "userToken")) != NULL) {
        snprintf(u->token, sizeof(u->token), "%s", token);
        u->state = WAIT;
        u->due = now() + (jint(j, "pollAfterMs") > 0 ? jint(j, "pollAfterMs") / 1000.0 : 1);
        if (strcmp(jstr(j, "tokenStatus"), "service") == 0) {
            admitted(u);
        }
    }
    else {
        u->due = now() + 1;
    }
    json_object_put(j);
}

static void poll_queue(worker_t *w, user_t *u)
{
    json_object *j;
    double start = now();
    long status = call(w, "GET", "/queues", u->token, NULL, &j);
    const char *st = jstr(j, "tokenStatus");

    if (w->npolls == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->polls = realloc(w->polls, (size_t)w->cap * sizeof(double));
    }
    w->polls[w->npolls++] = now() - start;
    if (status == 200 && st && strcmp(st, "service") == 0) {
        admitted(u);
    }
    else if (status == 200 && st && strcmp(st, "wait") == 0) {
        u->due = now() + jint(j, "pollAfterMs") / 1000.0;
    }
    else {
        u->state = DONE;    /* expired: this user's chance is gone */
    }
    json_object_put(j);
}

/* One attempt to buy: a random bookable date, a random free seat, hold,
 * charge the price, pay. A hold whose charge or payment failed is paid at
 * the next attempt, as a client repeats a request (a seat left held by
 * its buyer would be seen by nobody until its hold ends); one the
 * database refused for good (the hold ended) is let go. Sold out -> DONE. */
static void buy(worker_t *w, user_t *u)
{
    json_object *dates = NULL, *seats = NULL, *hold = NULL, *j = NULL, *arr, *pick;
    char path[256], body[160];
    long status;
    int n;

    u->due = now() + 0.05;
    if (!u->ticket) {
        if (call(w, "GET", "/concerts/1/dates", u->token, NULL, &dates) != 200) goto out;
        if (!json_object_object_get_ex(dates, "availableDates", &arr)
            || (n = (int)json_object_array_length(arr)) == 0) {
            u->state = DONE;
            goto out;
        }
        snprintf(path, sizeof(path), "/concerts/1/dates/%s/seats",
                 json_object_get_string(json_object_array_get_idx(arr, rand() % n)));
        if (call(w, "GET", path, u->token, NULL, &seats) != 200
            || !json_object_object_get_ex(seats, "availableSeats", &arr)
            || (n = (int)json_object_array_length(arr)) == 0) goto out;
        pick = json_object_array_get_idx(arr, rand() % n);
        snprintf(path, sizeof(path), "/concerts/1/schedules/%ld/seats/%ld/ticket",
                 jint(seats, "scheduleId"), jint(pick, "seatId"));
        snprintf(body, sizeof(body), "{\"userId\": %ld}", u->user);
        if (call(w, "POST", path, u->token, body, &hold) != 200) goto out;
        u->price = jint(hold, "price");
        u->ticket = jint(hold, "ticketId");
        u->charged = 0;
    }
    if (!u->charged) {
        snprintf(body, sizeof(body), "{\"userId\": %ld, \"amount\": %ld}", u->user, u->price);
        if (call(w, "PATCH", "/payments/charges", u->token, body, &j) != 200) goto out;
        u->charged = 1;
        json_object_put(j);
        j = NULL;
    }
    snprintf(body, sizeof(body), "{\"ticketId\": %ld, \"userId\": %ld}", u->ticket, u->user);
    status = call(w, "POST", "/payments/pays", u->token, body, &j);
    if (status == 200) {
        u->state = DONE;
        pthread_mutex_lock(&lock);
        if (++paid == seats_total) {
            sold_out_at = now();
            stop = 1;
        }
        pthread_mutex_unlock(&lock);
    }
    else if (status >= 400 && status < 500) {
        u->ticket = 0;      /* the hold is gone: another seat, if any */
    }
out:
    json_object_put(dates);
    json_object_put(seats);
    json_object_put(hold);
    json_object_put(j);
}

/* The user to serve next: an admitted or waiting user whose time has come
 * first (admitted users buy at once, as people would), else the next to
 * enter (the burst), else the one due soonest. */
static user_t *next_user(user_t *users, int mine, int *entering)
{
    user_t *due = NULL;
    int i;

    for (i = 0; i < mine; ++i) {
        if (users[i].state != DONE && users[i].state != ENTER
            && (!due || users[i].due < due->due)) {
            due = &users[i];
        }
    }
    if (due && due->due <= now()) {
        return due;
    }
    while (*entering < mine && users[*entering].state != ENTER) {
        ++*entering;
    }
    return *entering < mine ? &users[*entering] : due;
}

static void *run(void *arg)
{
    worker_t *w = arg;
    int mine = 0, entering = 0, i;
    user_t *users = calloc((size_t)nusers / (size_t)nthreads + 1, sizeof(user_t));
    user_t *next;

    w->curl = curl_easy_init();
    for (i = w->id; i < nusers; i += nthreads) {
        users[mine].user = i + 1;
        users[mine++].state = ENTER;
    }
    while (!stop && now() - t0 < 300 && (next = next_user(users, mine, &entering))) {
        double d = next->due - now();  /* (one reading: two made it < 0 now and
                                         * then, and usleep slept 71 minutes) */
        if (d > 0) {                    /* (an entry that failed waits too) */
            usleep((useconds_t)((d > 0.05 ? 0.05 : d) * 1e6));
        }
        else if (next->state == ENTER) {
            enter(w, next);
            if (next->state != ENTER) {
                pthread_mutex_lock(&lock);
                ++entered;
                last_entry = now();
                pthread_mutex_unlock(&lock);
            }
        }
        else if (next->state == WAIT) poll_queue(w, next);
        else buy(w, next);
    }
    curl_easy_cleanup(w->curl);
    free(users);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static long long scalar(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    long long v = PQresultStatus(r) == PGRES_TUPLES_OK ? atoll(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    return v;
}

int main(int argc, char **argv)
{
    worker_t *w;
    pthread_t *t;
    double *all;
    long total = 0, k = 0;
    int i, ok = 1;
    PGconn *db;
    struct { const char *what, *sql; long long want; } checks[] = {
        {"seats booked", "SELECT count(*) FROM seats WHERE booked_ticket_id IS NOT NULL", -2},
        {"seats booked twice", "SELECT count(*) FROM (SELECT seat_id FROM tickets"
         " WHERE status = 'booked' GROUP BY seat_id HAVING count(*) > 1) x", 0},
        {"booked seats not paid exactly once", "SELECT count(*) FROM seats s"
         " WHERE booked_ticket_id IS NOT NULL AND (SELECT count(*) FROM ledger l"
         " WHERE l.kind = 'pay' AND l.ticket_id = s.booked_ticket_id) <> 1", 0},
        {"payments without a booking", "SELECT count(*) FROM ledger l WHERE l.kind = 'pay'"
         " AND NOT EXISTS (SELECT 1 FROM seats s WHERE s.booked_ticket_id = l.ticket_id)", 0},
        {"users whose balance is not charges - payments", "SELECT count(*) FROM accounts a"
         " WHERE a.balance <> coalesce((SELECT sum(CASE l.kind WHEN 'charge' THEN l.amount"
         " ELSE -l.amount END) FROM ledger l WHERE l.user_id = a.user_id), 0)", 0},
    };

    if (argc != 6) {
        fprintf(stderr, "usage: storm PORT CONNINFO USERS SEATS THREADS\n");
        return 2;
    }
    port = atoi(argv[1]);
    nusers = atoi(argv[3]);
    seats_total = atoi(argv[4]);
    nthreads = atoi(argv[5]);
    checks[0].want = seats_total;
    curl_global_init(CURL_GLOBAL_ALL);
    w = calloc((size_t)nthreads, sizeof(*w));
    t = calloc((size_t)nthreads, sizeof(*t));
    t0 = now();
    for (i = 0; i < nthreads; ++i) {
        w[i].id = i;
        pthread_create(&t[i], NULL, run, &w[i]);
    }
    for (i = 0; i < nthreads; ++i) {
        pthread_join(t[i], NULL);
        total += w[i].npolls;
    }
    all = malloc((size_t)(total + 1) * sizeof(double));
    for (i = 0; i < nthreads; ++i) {
        memcpy(all + k, w[i].polls, (size_t)w[i].npolls * sizeof(double));
        k += w[i].npolls;
    }
    qsort(all, (size_t)total, sizeof(double), cmp);
    printf("storm: %d of %d users entered in %.1f s (%.0f entries/s; entering stops at"
           " the sell-out); %d of %d seats sold", entered, nusers, last_entry - t0,
           entered / (last_entry - t0), paid, seats_total);
    if (sold_out_at > 0) {
        printf(", sold out after %.1f s (%.1f s after the first admission)",
               sold_out_at - t0, sold_out_at - first_admitted);
    }
    printf("; %ld polls, p99 %.1f ms\n", total, total ? all[(long)(total * 0.99)] * 1000 : 0.0);

    db = PQconnectdb(argv[2]);
    for (i = 0; i < (int)(sizeof(checks) / sizeof(checks[0])); ++i) {
        long long v = scalar(db, checks[i].sql);
        int good = v == checks[i].want;
        printf("storm check: %s = %lld (%s)\n", checks[i].what, v, good ? "ok" : "WRONG");
        ok &= good;
    }
    PQfinish(db);
    return ok && paid == seats_total ? 0 : 1;
}
