//! Error answers over HTTP: kind, status, retries and `Retry-After`.
//! (The full classification table is a unit test in `src/error/tests.rs`.)

use std::time::Duration;

use httpmock::MockServer;
use refundkit_core::{ErrorKind, RefundError, RefundId};
use refundkit_uqpay::{RefundProvider, RetryPolicy, UqPayClient};
use serde_json::json;

use crate::common::*;

fn rf1() -> RefundId {
    RefundId::new("RF1").unwrap()
}

fn refund_path() -> String {
    format!("{REFUNDS_PATH}/RF1")
}

/// (status, content type, body, kind, attempts made with 3 allowed)
const CASES: [(u16, &str, &str, ErrorKind, usize); 8] = [
    (
        400,
        "application/json",
        r#"{"type":"not_found","code":"resource_not_found","message":"refund RF1 was not found"}"#,
        ErrorKind::NotFound,
        1,
    ),
    (
        400,
        "application/json",
        r#"{"type":"invalid_request_error","code":"invalid_parameter","message":"id: bad"}"#,
        ErrorKind::InvalidRequest,
        1,
    ),
    (
        403,
        "application/json",
        r#"{"error":"Forbidden","message":"Access to this resource is forbidden from UAT"}"#,
        ErrorKind::PermissionDenied,
        1,
    ),
    (
        400,
        "application/json",
        r#"{"type":"product_error","code":"product_not_enabled","message":"not enabled"}"#,
        ErrorKind::PermissionDenied,
        1,
    ),
    (
        429,
        "application/json",
        r#"{"type":"api_error","code":"velocity_limit_exceeded","message":"slow down"}"#,
        ErrorKind::RateLimited,
        3,
    ),
    (
        500,
        "application/json",
        r#"{"type":"api_error","code":"api_error","message":"internal"}"#,
        ErrorKind::ProviderUnavailable,
        3,
    ),
    (
        502,
        "text/html",
        "<html><body>Bad Gateway</body></html>",
        ErrorKind::ProviderUnavailable,
        3,
    ),
    (503, "text/plain", "", ErrorKind::ProviderUnavailable, 3),
];

#[tokio::test]
async fn error_answers_get_their_kind_status_and_retries() {
    for (status, content_type, body, kind, attempts) in CASES {
        let server = MockServer::start_async().await;
        token_ok(&server).await;
        let read = server
            .mock_async(|when, then| {
                when.method("GET").path(refund_path());
                then.status(status)
                    .header("content-type", content_type)
                    .body(body);
            })
            .await;

        let error = client(&server).get_refund(&rf1()).await.unwrap_err();

        let RefundError::Provider(provider_error) = &error else {
            panic!("{status} {body}: expected a provider error, got {error:?}");
        };
        assert_eq!(provider_error.kind, kind, "{status} {body}");
        assert_eq!(provider_error.status, status, "{status} {body}");
        assert_eq!(error.is_retryable(), kind.is_retryable());
        read.assert_calls_async(attempts).await;
    }
}

#[tokio::test]
async fn rate_limit_surfaces_retry_after() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    server
        .mock_async(|when, then| {
            when.path(refund_path());
            then.status(429)
                .header("retry-after", "7")
                .json_body(json!({"code": "too_many_requests", "message": "Too many requests"}));
        })
        .await;
    let config = config_builder(&server)
        .transport(fast_transport().with_retry(RetryPolicy::never()))
        .build()
        .unwrap();

    let error = UqPayClient::new(config)
        .unwrap()
        .get_refund(&rf1())
        .await
        .unwrap_err();

    let RefundError::Provider(provider_error) = error else {
        panic!("expected a provider error");
    };
    assert_eq!(provider_error.kind, ErrorKind::RateLimited);
    assert_eq!(provider_error.retry_after, Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn rate_limited_read_succeeds_on_retry() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let limited = server
        .mock_async(|when, then| {
            when.path(refund_path());
            then.status(429)
                .json_body(
                    json!({"type": "api_error", "code": "velocity_limit_exceeded", "message": "x"}),
                )
                .up_to_n_times(1);
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.path(refund_path());
            then.status(200)
                .json_body(refund_json("RF1", "1", "USD", "PROCESSING"));
        })
        .await;

    client(&server).get_refund(&rf1()).await.unwrap();

    limited.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
}
