/* tk_errors.c: the API's error catalogue. */
#include <stddef.h>
#include <stdio.h>
#include "tk_errors.h"

static const tk_error errors[TK_E__COUNT] = {
    [TK_E_BAD_REQUEST]          = {400, "BAD_REQUEST", "잘못된 요청입니다."},
    [TK_E_QUEUE_BAD_REQUEST]    = {400, "BAD_REQUEST", TK_MSG_QUEUE_DENIED},
    [TK_E_QUEUE_USER_NOT_FOUND] = {400, "USER_NOT_FOUND", TK_MSG_QUEUE_DENIED},
    [TK_E_QUEUE_CLOSED]         = {400, "QUEUE_CLOSED", TK_MSG_QUEUE_DENIED},
    [TK_E_TOKEN_INVALID]        = {401, "TOKEN_INVALID", TK_MSG_SERVICE_DENIED},
    [TK_E_TOKEN_EXPIRED]        = {401, "TOKEN_EXPIRED", TK_MSG_SERVICE_DENIED},
    [TK_E_TOKEN_NOT_ADMITTED]   = {401, "TOKEN_NOT_ADMITTED", TK_MSG_SERVICE_DENIED},
    [TK_E_FORBIDDEN]            = {403, "FORBIDDEN", "권한이 없습니다."},
    [TK_E_NOT_FOUND]            = {404, "NOT_FOUND", "요청한 경로를 찾을 수 없습니다."},
    [TK_E_CONCERT_NOT_FOUND]    = {404, "CONCERT_NOT_FOUND", "해당 콘서트 정보를 찾을 수 없습니다."},
    [TK_E_SEAT_TAKEN]           = {409, "SEAT_TAKEN", "이미 선택된 좌석입니다."},
    [TK_E_USER_NOT_FOUND]       = {401, "USER_NOT_FOUND", TK_MSG_USER_DENIED},
    [TK_E_TICKET_NOT_FOUND]     = {401, "TICKET_NOT_FOUND", TK_MSG_TICKET_DENIED},
    [TK_E_INSUFFICIENT_BALANCE] = {402, "INSUFFICIENT_BALANCE",
                                   "잔액이 부족합니다. 충전 후 다시 시도해 주세요."},
    [TK_E_INVALID_AMOUNT]       = {404, "INVALID_AMOUNT", "충전할 수 없는 금액입니다."},
    [TK_E_ACCOUNT_NOT_FOUND]    = {404, "ACCOUNT_NOT_FOUND", "조회할 수 없는 잔액입니다."},
    [TK_E_HOLD_EXPIRED]         = {404, "HOLD_EXPIRED", "임시 점유 시간이 만료되었습니다."},
    [TK_E_IDEMPOTENCY_KEY_REUSED] = {422, "IDEMPOTENCY_KEY_REUSED",
                                     "다른 요청에 이미 사용된 요청 키입니다."},
    [TK_E_HOLD_LIMIT]           = {409, "HOLD_LIMIT", "더 이상 좌석을 선택할 수 없습니다."},
    [TK_E_METHOD_NOT_ALLOWED]   = {405, "METHOD_NOT_ALLOWED", "허용되지 않는 메서드입니다."},
    [TK_E_PAYLOAD_TOO_LARGE]    = {413, "PAYLOAD_TOO_LARGE", "요청 본문이 너무 큽니다."},
    [TK_E_UNAVAILABLE]          = {503, "UNAVAILABLE", "잠시 후 다시 시도해 주세요."},
    [TK_E_INTERNAL]             = {500, "INTERNAL", "잠시 후 다시 시도해 주세요."},
    [TK_E_UNAUTHENTICATED]      = {401, "UNAUTHENTICATED", "로그인이 필요합니다."},
};

const tk_error *tk_error_get(tk_error_id id)
{
    if ((int)id < 0 || id >= TK_E__COUNT) {
        id = TK_E_INTERNAL;
    }
    return &errors[id];
}

void tk_msg_waiting(char *out, long long position)
{
    snprintf(out, TK_MSG_WAITING_MAX, "현재 대기열은 %lld명입니다.", position);
}
