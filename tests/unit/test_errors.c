/* test_errors.c: unit tests of tk_errors (the error catalogue against
 * the "Errors" table of openapi.yaml and the README). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tk_errors.h"

/* Copied from openapi.yaml, byte for byte. */
#define MSG_BAD_REQUEST   "잘못된 요청입니다."
#define MSG_QUEUE         "대기열에 진입할 수 없습니다."
#define MSG_SERVICE       "해당 서비스를 이용하실 수 없습니다."
#define MSG_FORBIDDEN     "권한이 없습니다."
#define MSG_NOT_FOUND     "요청한 경로를 찾을 수 없습니다."
#define MSG_METHOD        "허용되지 않는 메서드입니다."
#define MSG_TOO_LARGE     "요청 본문이 너무 큽니다."
#define MSG_UNAVAILABLE   "잠시 후 다시 시도해 주세요."

static const struct {
    tk_error_id id;
    int status;
    const char *code;
    const char *message;
} expected[] = {
    {TK_E_BAD_REQUEST, 400, "BAD_REQUEST", MSG_BAD_REQUEST},
    {TK_E_QUEUE_BAD_REQUEST, 400, "BAD_REQUEST", MSG_QUEUE},
    {TK_E_QUEUE_USER_NOT_FOUND, 400, "USER_NOT_FOUND", MSG_QUEUE},
    {TK_E_QUEUE_CLOSED, 400, "QUEUE_CLOSED", MSG_QUEUE},
    {TK_E_TOKEN_INVALID, 401, "TOKEN_INVALID", MSG_SERVICE},
    {TK_E_TOKEN_EXPIRED, 401, "TOKEN_EXPIRED", MSG_SERVICE},
    {TK_E_TOKEN_NOT_ADMITTED, 401, "TOKEN_NOT_ADMITTED", MSG_SERVICE},
    {TK_E_FORBIDDEN, 403, "FORBIDDEN", MSG_FORBIDDEN},
    {TK_E_NOT_FOUND, 404, "NOT_FOUND", MSG_NOT_FOUND},
    {TK_E_CONCERT_NOT_FOUND, 404, "CONCERT_NOT_FOUND", "해당 콘서트 정보를 찾을 수 없습니다."},
    {TK_E_SEAT_TAKEN, 409, "SEAT_TAKEN", "이미 선택된 좌석입니다."},
    {TK_E_USER_NOT_FOUND, 401, "USER_NOT_FOUND", "해당 유저 정보를 찾을 수 없습니다."},
    {TK_E_TICKET_NOT_FOUND, 401, "TICKET_NOT_FOUND", "해당 티켓 정보를 찾을 수 없습니다."},
    {TK_E_INSUFFICIENT_BALANCE, 402, "INSUFFICIENT_BALANCE",
     "잔액이 부족합니다. 충전 후 다시 시도해 주세요."},
    {TK_E_INVALID_AMOUNT, 404, "INVALID_AMOUNT", "충전할 수 없는 금액입니다."},
    {TK_E_ACCOUNT_NOT_FOUND, 404, "ACCOUNT_NOT_FOUND", "조회할 수 없는 잔액입니다."},
    {TK_E_HOLD_EXPIRED, 404, "HOLD_EXPIRED", "임시 점유 시간이 만료되었습니다."},
    {TK_E_IDEMPOTENCY_KEY_REUSED, 422, "IDEMPOTENCY_KEY_REUSED",
     "다른 요청에 이미 사용된 요청 키입니다."},
    {TK_E_HOLD_LIMIT, 409, "HOLD_LIMIT", "더 이상 좌석을 선택할 수 없습니다."},
    {TK_E_METHOD_NOT_ALLOWED, 405, "METHOD_NOT_ALLOWED", MSG_METHOD},
    {TK_E_PAYLOAD_TOO_LARGE, 413, "PAYLOAD_TOO_LARGE", MSG_TOO_LARGE},
    {TK_E_UNAVAILABLE, 503, "UNAVAILABLE", MSG_UNAVAILABLE},
    {TK_E_INTERNAL, 500, "INTERNAL", MSG_UNAVAILABLE},
    {TK_E_UNAUTHENTICATED, 401, "UNAUTHENTICATED", "로그인이 필요합니다."},
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

static void test_every_id(void **state)
{
    size_t i;
    const tk_error *e;
    (void)state;
    assert_int_equal(NEXPECTED, TK_E__COUNT);
    for (i = 0; i < NEXPECTED; ++i) {
        e = tk_error_get(expected[i].id);
        assert_non_null(e);
        if (e->status != expected[i].status
            || strcmp(e->code, expected[i].code) != 0
            || strcmp(e->message, expected[i].message) != 0) {
            fail_msg("error id %d is %d %s \"%s\", want %d %s \"%s\"",
                     (int)expected[i].id, e->status, e->code, e->message,
                     expected[i].status, expected[i].code, expected[i].message);
        }
    }
}

static void test_examples(void **state)
{
    const tk_error *e;
    (void)state;
    e = tk_error_get(TK_E_TOKEN_EXPIRED);
    assert_int_equal(e->status, 401);
    assert_string_equal(e->code, "TOKEN_EXPIRED");
    e = tk_error_get(TK_E_QUEUE_CLOSED);
    assert_int_equal(e->status, 400);
    assert_string_equal(e->code, "QUEUE_CLOSED");
    assert_string_equal(e->message, "대기열에 진입할 수 없습니다.");
    e = tk_error_get(TK_E_METHOD_NOT_ALLOWED);
    assert_int_equal(e->status, 405);
    assert_string_equal(e->message, "허용되지 않는 메서드입니다.");
}

static void test_distinct_entries(void **state)
{
    size_t i, j;
    (void)state;
    for (i = 0; i < NEXPECTED; ++i) {
        for (j = i + 1; j < NEXPECTED; ++j) {
            assert_ptr_not_equal(tk_error_get(expected[i].id),
                                 tk_error_get(expected[j].id));
        }
    }
}

static void test_message_macros(void **state)
{
    (void)state;
    assert_string_equal(TK_MSG_SERVICE_DENIED, MSG_SERVICE);
    assert_string_equal(TK_MSG_QUEUE_DENIED, MSG_QUEUE);
}

static void test_out_of_range(void **state)
{
    static const int bad[] = {TK_E__COUNT, TK_E__COUNT + 1, 1000, -1, -1000,
                              INT32_MAX, INT32_MIN};
    const tk_error *internal = tk_error_get(TK_E_INTERNAL), *e;
    size_t i;
    (void)state;
    assert_int_equal(internal->status, 500);
    assert_string_equal(internal->code, "INTERNAL");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        e = tk_error_get((tk_error_id)bad[i]);
        assert_ptr_equal(e, internal);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_id),
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_distinct_entries),
        cmocka_unit_test(test_message_macros),
        cmocka_unit_test(test_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
