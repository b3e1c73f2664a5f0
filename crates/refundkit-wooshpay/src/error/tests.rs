//! The error table of error.rs, one row per situation of
//! `docs/wire-assumptions.md` plus the tolerant body shapes.

use super::*;

fn stripe(error_type: &str, code: &str, message: &str) -> String {
    serde_json::json!({"error": {"type": error_type, "code": code, "message": message}}).to_string()
}

#[test]
fn every_row_of_the_error_table() {
    let rows: Vec<(u16, String, ErrorKind)> = vec![
        // documented situations (wire-assumptions.md, WooshPay)
        (
            401,
            stripe(
                "invalid_request_error",
                "invalid_api_key",
                "Invalid API Key provided",
            ),
            ErrorKind::Authentication,
        ),
        (
            400,
            stripe(
                "invalid_request_error",
                "resource_missing",
                "No such payment_intent: 'pi_x'",
            ),
            ErrorKind::NotFound,
        ),
        (
            404,
            stripe(
                "invalid_request_error",
                "resource_missing",
                "No such refund: 're_x'",
            ),
            ErrorKind::NotFound,
        ),
        (
            400,
            stripe(
                "invalid_request_error",
                "amount_too_large",
                "Refund amount is too large",
            ),
            ErrorKind::RefundExceedsAvailable,
        ),
        (
            400,
            stripe(
                "invalid_request_error",
                "charge_already_refunded",
                "Charge has already been refunded",
            ),
            ErrorKind::RefundExceedsAvailable,
        ),
        (
            402,
            stripe("invalid_request_error", "refund_failed", "Refund failed"),
            ErrorKind::PaymentNotRefundable,
        ),
        (
            400,
            stripe(
                "invalid_request_error",
                "parameter_invalid_integer",
                "Invalid integer: abc",
            ),
            ErrorKind::InvalidRequest,
        ),
        (
            400,
            stripe(
                "invalid_request_error",
                "invalid_request",
                "Missing payment_intent",
            ),
            ErrorKind::InvalidRequest,
        ),
        (
            409,
            stripe(
                "idempotency_error",
                "idempotency_key_reused",
                "Keys can only be reused with the same parameters",
            ),
            ErrorKind::IdempotencyConflict,
        ),
        (
            409,
            stripe(
                "invalid_request_error",
                "idempotency_key_in_use",
                "A request with this key is in progress",
            ),
            ErrorKind::RequestInProgress,
        ),
        (
            429,
            stripe("invalid_request_error", "rate_limit", "Too many requests"),
            ErrorKind::RateLimited,
        ),
        (
            500,
            r#"{"error":{"type":"api_error","message":"Something went wrong"}}"#.into(),
            ErrorKind::ProviderUnavailable,
        ),
        // statuses whatever the body
        (401, String::new(), ErrorKind::Authentication),
        (
            403,
            stripe(
                "invalid_request_error",
                "permission_denied",
                "Key lacks permission",
            ),
            ErrorKind::PermissionDenied,
        ),
        (404, String::new(), ErrorKind::NotFound),
        (409, String::new(), ErrorKind::IdempotencyConflict),
        (429, "rate limit exceeded".into(), ErrorKind::RateLimited),
        (
            502,
            "<html><body>Bad gateway</body></html>".into(),
            ErrorKind::ProviderUnavailable,
        ),
        (503, String::new(), ErrorKind::ProviderUnavailable),
        (504, String::new(), ErrorKind::ProviderUnavailable),
        (
            500,
            stripe("invalid_request_error", "resource_missing", "odd"),
            ErrorKind::ProviderUnavailable,
        ),
        // refund-specific kinds by code, type or words
        (
            402,
            stripe("invalid_request_error", "amount_too_large", "too large"),
            ErrorKind::RefundExceedsAvailable,
        ),
        (
            400,
            stripe(
                "invalid_request_error",
                "refund_rejected",
                "Refund amount exceeds the refundable amount",
            ),
            ErrorKind::RefundExceedsAvailable,
        ),
        (
            400,
            stripe(
                "invalid_request_error",
                "x",
                "Amount is greater than the unrefunded amount",
            ),
            ErrorKind::RefundExceedsAvailable,
        ),
        (
            402,
            stripe("card_error", "card_declined", "Declined"),
            ErrorKind::PaymentNotRefundable,
        ),
        (
            400,
            stripe("card_error", "expired_card", "Expired"),
            ErrorKind::PaymentNotRefundable,
        ),
        (
            400,
            stripe("idempotency_error", "", "Key reused"),
            ErrorKind::IdempotencyConflict,
        ),
        (402, String::new(), ErrorKind::PaymentNotRefundable),
        (
            404,
            stripe("invalid_request_error", "", ""),
            ErrorKind::NotFound,
        ),
        // tolerant shapes and unknown statuses
        (
            400,
            r#"{"message":"payment_intent is required"}"#.into(),
            ErrorKind::InvalidRequest,
        ),
        (
            400,
            r#"{"error":"Bad Request"}"#.into(),
            ErrorKind::InvalidRequest,
        ),
        (
            400,
            r#"{"error":{"type":"#.into(),
            ErrorKind::InvalidRequest,
        ),
        (400, "[1,2,3]".into(), ErrorKind::InvalidRequest),
        (
            418,
            stripe("invalid_request_error", "teapot", "I'm a teapot"),
            ErrorKind::Other,
        ),
        (422, String::new(), ErrorKind::Other),
        (302, String::new(), ErrorKind::Other),
    ];
    for (status, body, kind) in rows {
        let error = classify_error(status, body.as_bytes());
        assert_eq!(error.kind, kind, "HTTP {status} {body}");
        assert_eq!(error.status, status);
        assert_eq!(error.provider, crate::PROVIDER);
        assert!(!error.message.is_empty(), "HTTP {status} {body}");
    }
}

#[test]
fn retryable_exactly_for_in_progress_rate_limit_and_server_faults() {
    let retryable =
        |status, body: &str| classify_error(status, body.as_bytes()).kind.is_retryable();
    assert!(retryable(
        409,
        &stripe("invalid_request_error", "idempotency_key_in_use", "busy")
    ));
    assert!(!retryable(
        409,
        &stripe("idempotency_error", "idempotency_key_reused", "reused")
    ));
    assert!(retryable(429, ""));
    assert!(retryable(500, ""));
    for status in [400, 401, 402, 403, 404] {
        assert!(!retryable(status, ""), "{status}");
    }
}

#[test]
fn stripe_error_object_fields_are_kept() {
    let body = r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"lost_card",
        "message":"Your card was declined.","param":"payment_intent"}}"#;
    let error = classify_error(402, body.as_bytes());
    assert_eq!(error.provider_code.as_deref(), Some("card_declined"));
    assert_eq!(
        error.message,
        "Your card was declined. (param: payment_intent) (decline_code: lost_card)"
    );
}

#[test]
fn fallback_shapes_give_their_message_and_code() {
    let top = classify_error(400, br#"{"message":"bad amount","code":1001}"#);
    assert_eq!(
        (top.message.as_str(), top.provider_code.as_deref()),
        ("bad amount", Some("1001"))
    );
    let text = classify_error(401, br#"{"error":"Unauthorized"}"#);
    assert_eq!(text.message, "Unauthorized");
    let type_only = classify_error(500, br#"{"error":{"type":"api_error"}}"#);
    assert_eq!(type_only.provider_code.as_deref(), Some("api_error"));
}

#[test]
fn unreadable_bodies_still_carry_the_status() {
    let empty = classify_error(503, b"");
    assert_eq!(empty.message, "HTTP 503 with an empty body");
    let html = classify_error(502, b"  <html>gateway</html>");
    assert!(
        html.message.starts_with("HTTP 502 with an HTML body"),
        "{}",
        html.message
    );
    let garbage = classify_error(400, b"\xff\xfe not json");
    assert!(garbage.message.contains("not JSON"), "{}", garbage.message);
    assert_eq!(garbage.provider_code, None);
}

#[test]
fn classifier_reads_request_id_and_retry_after() {
    let mut headers = http::HeaderMap::new();
    headers.insert("request-id", http::HeaderValue::from_static("req_123"));
    let response = ErrorResponse {
        status: 429,
        headers,
        body: bytes::Bytes::new(),
        retry_after: Some(std::time::Duration::from_secs(2)),
    };
    let error = WooshPayErrorClassifier.classify(Operation::CreateRefund, &response);
    assert_eq!(error.kind, ErrorKind::RateLimited);
    assert_eq!(error.request_id.as_deref(), Some("req_123"));
    assert_eq!(error.retry_after, Some(std::time::Duration::from_secs(2)));
}
