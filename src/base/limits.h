/*
 * limits: every limit on what comes in, in one place. Tighter limits apply
 * before sign-in.
 */
#ifndef BW_LIMITS_H
#define BW_LIMITS_H

#define LIM_REQUEST_LINE        8192        /* method + URL */
#define LIM_HEADER_BYTES        (32 * 1024) /* all headers together */
#define LIM_HEADERS             100
#define LIM_BODY_ANON           (16 * 1024)  /* body before sign-in */
#define LIM_BODY                (1024 * 1024)
#define LIM_UPLOAD              (64 * 1024 * 1024) /* file uploads (streamed) */
#define LIM_FIELDS              200          /* form or query fields */
#define LIM_FIELD_NAME          128
#define LIM_FIELD_VALUE         (64 * 1024)
#define LIM_COOKIES             50
#define LIM_JSON_DEPTH          32
#define LIM_PATH_PARAMS         8
#define LIM_PAGE_SIZE           200          /* API list page size cap */
#define LIM_CONNECTIONS         1024
#define LIM_CONN_TIMEOUT_S      30

#define LIM_NAME                200          /* names of people, orgs, tokens */
#define LIM_EMAIL               254
#define LIM_PASSWORD_MIN        12
#define LIM_PASSWORD_MAX        256
#define LIM_ORG_CODE            16

#define LIM_LOGIN_FAILS         10           /* failed sign-ins per account ... */
#define LIM_LOGIN_WINDOW_S      300          /* ... within this window ... */
#define LIM_LOCK_S              900          /* ... lock it for this long */
#define LIM_SESSION_IDLE_S      (30 * 60)
#define LIM_SESSION_ABS_S       (12 * 3600)
#define LIM_MFA_PENDING_S       (10 * 60)    /* password accepted, second factor due */

#endif
