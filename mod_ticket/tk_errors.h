/* tk_errors.h: the API's error catalogue (status, machine code, message).
 * Messages are the original specification's, byte for byte (openapi.yaml). */
#ifndef TK_ERRORS_H
#define TK_ERRORS_H

typedef enum {
    TK_E_NONE = -1,            /* not an error (tk_error_get gives INTERNAL) */
    TK_E_BAD_REQUEST = 0,      /* 400, generic malformed input */
    TK_E_QUEUE_BAD_REQUEST,    /* 400, endpoint 1: malformed body */
    TK_E_QUEUE_USER_NOT_FOUND, /* 400, endpoint 1: unknown user */
    TK_E_QUEUE_CLOSED,         /* 400, endpoint 1: TicketQueue Closed */
    TK_E_TOKEN_INVALID,        /* 401 */
    TK_E_TOKEN_EXPIRED,        /* 401 */
    TK_E_TOKEN_NOT_ADMITTED,   /* 401 */
    TK_E_FORBIDDEN,            /* 403 */
    TK_E_NOT_FOUND,            /* 404, no such route */
    TK_E_CONCERT_NOT_FOUND,    /* 404, endpoints 4-6 */
    TK_E_SEAT_TAKEN,           /* 409, endpoint 6 */
    TK_E_USER_NOT_FOUND,       /* 401, endpoints 7, 8 */
    TK_E_TICKET_NOT_FOUND,     /* 401, endpoint 9 */
    TK_E_INSUFFICIENT_BALANCE, /* 402, endpoint 9 */
    TK_E_INVALID_AMOUNT,       /* 404, endpoint 7 */
    TK_E_ACCOUNT_NOT_FOUND,    /* 404, endpoint 8 */
    TK_E_HOLD_EXPIRED,         /* 404, endpoint 9 */
    TK_E_IDEMPOTENCY_KEY_REUSED, /* 422, endpoint 7 */
    TK_E_HOLD_LIMIT,           /* 409, endpoint 6 */
    TK_E_METHOD_NOT_ALLOWED,   /* 405 */
    TK_E_PAYLOAD_TOO_LARGE,    /* 413 */
    TK_E_UNAVAILABLE,          /* 503 */
    TK_E_INTERNAL,             /* 500, a bug or a misconfiguration */
    TK_E_UNAUTHENTICATED,      /* 401, RemoteUser mode: no authenticated user */
    TK_E__COUNT
} tk_error_id;

typedef struct {
    int status;
    const char *code;
    const char *message;
} tk_error;

/* The catalogue entry of an error; never NULL for a valid id. */
const tk_error *tk_error_get(tk_error_id id);

/* The 401 message of the service endpoints (3-6, queue poll). */
#define TK_MSG_SERVICE_DENIED "해당 서비스를 이용하실 수 없습니다."
/* The 401 messages of the money endpoints: 7 and 8, and 9. */
#define TK_MSG_USER_DENIED "해당 유저 정보를 찾을 수 없습니다."
#define TK_MSG_TICKET_DENIED "해당 티켓 정보를 찾을 수 없습니다."
/* Endpoint 1's message for every 400. */
#define TK_MSG_QUEUE_DENIED "대기열에 진입할 수 없습니다."

/* The other words users read, besides the errors. */
#define TK_MSG_ADMITTED "입장이 허용되었습니다."      /* endpoints 1, 2 */
#define TK_MSG_EXPIRED "사용시간이 만료되었습니다."   /* endpoint 2 */
#define TK_MSG_PREQUEUE "판매 시작 전입니다."          /* endpoints 1, 2 */
#define TK_MSG_CHARGED "충전완료"                     /* endpoint 7's accountStat */

/* Endpoints 1 and 2: "현재 대기열은 <position>명입니다.", written into out
 * (TK_MSG_WAITING_MAX bytes). */
#define TK_MSG_WAITING_MAX 64
void tk_msg_waiting(char *out, long long position);

#endif
