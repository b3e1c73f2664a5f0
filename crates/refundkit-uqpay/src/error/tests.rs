use super::*;
use crate::auth::FETCH_TOKEN as FetchToken;
use refundkit_core::transport::Operation::{CreateRefund, GetRefund};

/// (operation, status, body, kind, provider_code, retryable)
type Row = (
    Operation,
    u16,
    &'static str,
    ErrorKind,
    Option<&'static str>,
    bool,
);

/// Every row of `docs/wire-assumptions.md` (UQPay) and of the issue's error
/// list.
#[test]
fn every_documented_error_body_gets_its_kind_and_retryability() {
    use ErrorKind::*;
    let table: Vec<Row> = vec![
        // Token call.
        (
            FetchToken,
            400,
            r#"{"type":"invalid_request_error","code":"invalid_client_id","message":"Invalid client id"}"#,
            Authentication,
            Some("invalid_client_id"),
            false,
        ),
        (
            FetchToken,
            400,
            r#"{"message":"Invalid client id"}"#,
            Authentication,
            None,
            false,
        ),
        (
            FetchToken,
            401,
            r#"{"type":"unauthorized_error","code":"unauthorized","message":"invalid api key"}"#,
            Authentication,
            Some("unauthorized"),
            false,
        ),
        (
            FetchToken,
            403,
            r#"{"error":"Forbidden","message":"Access to this resource is forbidden from UAT"}"#,
            PermissionDenied,
            None,
            false,
        ),
        // Auth on refund calls.
        (
            CreateRefund,
            401,
            r#"{"type":"unauthorized_error","code":"unauthorized","message":"invalid auth token format"}"#,
            Authentication,
            Some("unauthorized"),
            false,
        ),
        (
            GetRefund,
            401,
            r#"{"type":"unauthorized_error","code":"token_expired","message":"token has expired"}"#,
            Authentication,
            Some("token_expired"),
            false,
        ),
        (
            GetRefund,
            401,
            r#"{"type":"unauthorized_error","code":"unauthorized","message":"invalid auth token"}"#,
            Authentication,
            Some("unauthorized"),
            false,
        ),
        (
            GetRefund,
            401,
            r#"{"type":"unauthorized_error","code":"unauthorized","message":"x-client-id does not match the auth token"}"#,
            Authentication,
            Some("unauthorized"),
            false,
        ),
        (
            GetRefund,
            401,
            r#"{"error":"token expired"}"#,
            Authentication,
            None,
            false,
        ),
        // Idempotency.
        (
            CreateRefund,
            400,
            r#"{"type":"idempotency_error","code":"invalid_idempotency_key","message":"Idempotency key format invalid"}"#,
            IdempotencyConflict,
            Some("invalid_idempotency_key"),
            false,
        ),
        (
            CreateRefund,
            400,
            r#"{"type":"idempotency_error","code":"idempotency_key_mismatch","message":"Idempotency key mismatched with the original request"}"#,
            IdempotencyConflict,
            Some("idempotency_key_mismatch"),
            false,
        ),
        (
            CreateRefund,
            409,
            r#"{"type":"idempotency_error","code":"key_conflict","message":"conflict"}"#,
            IdempotencyConflict,
            Some("key_conflict"),
            false,
        ),
        (
            CreateRefund,
            400,
            r#"{"code":200,"message":"Request is processing, please try again later"}"#,
            RequestInProgress,
            Some("200"),
            true,
        ),
        // Validation and business rules.
        (
            CreateRefund,
            400,
            r#"{"type":"invalid_request_error","code":"invalid_parameter","message":"reason: must not be empty"}"#,
            InvalidRequest,
            Some("invalid_parameter"),
            false,
        ),
        (
            GetRefund,
            400,
            r#"{"type":"not_found","code":"resource_not_found","message":"refund RF1 was not found"}"#,
            NotFound,
            Some("resource_not_found"),
            false,
        ),
        (GetRefund, 404, "", NotFound, None, false),
        (
            CreateRefund,
            400,
            r#"{"type":"payment_error","code":"payment_intent_not_refundable","message":"..."}"#,
            PaymentNotRefundable,
            Some("payment_intent_not_refundable"),
            false,
        ),
        (
            CreateRefund,
            400,
            r#"{"type":"refund_error","code":"refund_amount_exceeds_available","message":"Refund amount exceeds the refundable amount"}"#,
            RefundExceedsAvailable,
            Some("refund_amount_exceeds_available"),
            false,
        ),
        (
            CreateRefund,
            400,
            r#"{"type":"refund_error","code":"x","message":"Amount EXCEEDS what is left"}"#,
            RefundExceedsAvailable,
            Some("x"),
            false,
        ),
        (
            CreateRefund,
            400,
            r#"{"type":"refund_error","code":"refund_window_closed","message":"too old"}"#,
            PaymentNotRefundable,
            Some("refund_window_closed"),
            false,
        ),
        (
            CreateRefund,
            400,
            r#"{"type":"account_error","code":"sub_account_not_found","message":"..."}"#,
            InvalidRequest,
            Some("sub_account_not_found"),
            false,
        ),
        (
            CreateRefund,
            400,
            r#"{"type":"customer_error","code":"c","message":"..."}"#,
            InvalidRequest,
            Some("c"),
            false,
        ),
        (
            CreateRefund,
            400,
            r#"{"type":"payout_error","code":"p","message":"..."}"#,
            InvalidRequest,
            Some("p"),
            false,
        ),
        (
            CreateRefund,
            400,
            r#"{"type":"product_error","code":"product_not_enabled","message":"..."}"#,
            PermissionDenied,
            Some("product_not_enabled"),
            false,
        ),
        (
            CreateRefund,
            400,
            r#"{"type":"api_error","code":"something_else","message":"..."}"#,
            Other,
            Some("something_else"),
            false,
        ),
        (
            CreateRefund,
            400,
            r#"{"type":"brand_new_error","code":"n","message":"..."}"#,
            Other,
            Some("n"),
            false,
        ),
        (
            CreateRefund,
            403,
            r#"{"type":"unauthorized_error","code":"ip_not_allowed","message":"..."}"#,
            PermissionDenied,
            Some("ip_not_allowed"),
            false,
        ),
        // Rate limits and faults.
        (
            CreateRefund,
            429,
            r#"{"type":"api_error","code":"velocity_limit_exceeded","message":"slow down"}"#,
            RateLimited,
            Some("velocity_limit_exceeded"),
            true,
        ),
        (
            CreateRefund,
            429,
            r#"{"code":"too_many_requests","message":"Too many requests have been made to the api..."}"#,
            RateLimited,
            Some("too_many_requests"),
            true,
        ),
        (
            CreateRefund,
            400,
            r#"{"type":"api_error","code":"velocity_limit_exceeded","message":"slow down"}"#,
            RateLimited,
            Some("velocity_limit_exceeded"),
            true,
        ),
        (
            CreateRefund,
            500,
            r#"{"type":"api_error","code":"api_error","message":"internal"}"#,
            ProviderUnavailable,
            Some("api_error"),
            true,
        ),
        (
            CreateRefund,
            503,
            "<html><body>Service Unavailable</body></html>",
            ProviderUnavailable,
            None,
            true,
        ),
        (CreateRefund, 502, "", ProviderUnavailable, None, true),
        (CreateRefund, 408, "", ProviderUnavailable, None, true),
        // Unreadable bodies still yield a status.
        (
            GetRefund,
            400,
            "<html>Bad Request</html>",
            Other,
            None,
            false,
        ),
        (GetRefund, 418, "[1,2]", Other, None, false),
        (
            GetRefund,
            400,
            r#"{"type":"not_found"}"#,
            NotFound,
            Some("not_found"),
            false,
        ),
    ];
    for (operation, status, body, kind, code, retryable) in table {
        let error = classify_error(operation, status, &HeaderMap::new(), body.as_bytes());
        let row = format!("{operation:?} {status} {body}");
        assert_eq!(error.kind, kind, "{row}");
        assert_eq!(error.status, status, "{row}");
        assert_eq!(error.provider_code.as_deref(), code, "{row}");
        assert_eq!(error.kind.is_retryable(), retryable, "{row}");
        assert_eq!(error.provider, crate::PROVIDER, "{row}");
        assert!(!error.message.is_empty(), "{row}");
    }
}

#[test]
fn messages_come_from_message_then_error_then_the_status() {
    let message = |status, body: &str| {
        classify_error(GetRefund, status, &HeaderMap::new(), body.as_bytes()).message
    };
    assert_eq!(
        message(
            400,
            r#"{"type":"not_found","message":"refund RF1 was not found"}"#
        ),
        "refund RF1 was not found"
    );
    assert_eq!(message(401, r#"{"error":"jwt expired"}"#), "jwt expired");
    assert_eq!(message(502, ""), "HTTP 502 with an empty body");
    assert!(message(503, "<html></html>").contains("not a UQPay error object"));
    assert!(!message(503, "<html>secret page</html>").contains("secret page"));
}

#[test]
fn request_id_header_is_kept() {
    let mut headers = HeaderMap::new();
    headers.insert("x-request-id", "req-42".parse().unwrap());
    let error = classify_error(GetRefund, 500, &headers, b"");
    assert_eq!(error.request_id.as_deref(), Some("req-42"));
}
