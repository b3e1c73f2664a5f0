//! Every error mapping of `docs/wire-assumptions.md` over HTTP, including
//! malformed bodies and an unknown status, and which errors are retried.

use crate::common::*;
use httpmock::prelude::*;
use refundkit_core::{
    ErrorKind, RefundAmount, RefundError, RefundId, RefundProvider, RefundReason,
};
use serde_json::json;

/// (HTTP status, body, expected kind).
fn table() -> Vec<(u16, String, ErrorKind)> {
    let stripe = |t: &str, c: &str, m: &str| error_json(t, c, m).to_string();
    vec![
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
                "No such payment_intent",
            ),
            ErrorKind::NotFound,
        ),
        (
            404,
            stripe(
                "invalid_request_error",
                "resource_missing",
                "No such refund",
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
                "Already refunded",
            ),
            ErrorKind::RefundExceedsAvailable,
        ),
        (
            402,
            stripe("invalid_request_error", "refund_failed", "Refund failed"),
            ErrorKind::PaymentNotRefundable,
        ),
        (
            402,
            stripe(
                "invalid_request_error",
                "x",
                "Amount exceeds the refundable amount",
            ),
            ErrorKind::RefundExceedsAvailable,
        ),
        (
            400,
            stripe(
                "invalid_request_error",
                "parameter_invalid_integer",
                "Invalid integer",
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
            403,
            stripe(
                "invalid_request_error",
                "permission_denied",
                "No permission",
            ),
            ErrorKind::PermissionDenied,
        ),
        (
            409,
            stripe(
                "idempotency_error",
                "idempotency_key_reused",
                "Different parameters",
            ),
            ErrorKind::IdempotencyConflict,
        ),
        (
            409,
            stripe(
                "invalid_request_error",
                "idempotency_key_in_use",
                "In progress",
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
            json!({"error": {"type": "api_error"}}).to_string(),
            ErrorKind::ProviderUnavailable,
        ),
        (
            502,
            "<html><h1>502 Bad Gateway</h1></html>".into(),
            ErrorKind::ProviderUnavailable,
        ),
        (503, String::new(), ErrorKind::ProviderUnavailable),
        (
            400,
            json!({"message": "payment_intent is required"}).to_string(),
            ErrorKind::InvalidRequest,
        ),
        (
            401,
            json!({"error": "Unauthorized"}).to_string(),
            ErrorKind::Authentication,
        ),
        (
            400,
            r#"{"error": {"type": "invalid_requ"#.into(),
            ErrorKind::InvalidRequest,
        ),
        (404, String::new(), ErrorKind::NotFound),
        (
            418,
            stripe("invalid_request_error", "teapot", "I'm a teapot"),
            ErrorKind::Other,
        ),
    ]
}

#[tokio::test]
async fn every_error_answer_maps_to_its_kind() {
    let server = MockServer::start_async().await;
    let client = client_with(&server, single_attempt());
    for (index, (status, body, kind)) in table().into_iter().enumerate() {
        let id = format!("re_error_{index}");
        server
            .mock_async(|when, then| {
                when.method(GET).path(format!("/v1/refunds/{id}"));
                then.status(status).body(body.clone());
            })
            .await;
        let error = client
            .get_refund(&RefundId::new(id).unwrap())
            .await
            .unwrap_err();
        match &error {
            RefundError::Provider(provider_error) => {
                assert_eq!(provider_error.kind, kind, "HTTP {status} {body}");
                assert_eq!(provider_error.status, status);
                assert!(!provider_error.message.is_empty());
            }
            other => panic!("HTTP {status} {body}: expected a provider error, got {other:?}"),
        }
        assert_eq!(error.is_retryable(), kind.is_retryable());
    }
}

#[tokio::test]
async fn unauthorized_is_final_and_sent_once() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(401).json_body(error_json(
                "invalid_request_error",
                "invalid_api_key",
                "Invalid API Key provided",
            ));
        })
        .await;
    let error = client(&server)
        .create_refund(&request(RefundAmount::Full, RefundReason::Duplicate))
        .await
        .unwrap_err();
    mock.assert_calls_async(1).await;
    assert_eq!(error.kind(), Some(ErrorKind::Authentication));
    assert!(matches!(error, RefundError::Provider(_)), "{error:?}");
}

#[tokio::test]
async fn refusals_of_a_create_are_definitive_not_outcome_unknown() {
    let rows = [
        (
            400,
            error_json("invalid_request_error", "amount_too_large", "Too large"),
            ErrorKind::RefundExceedsAvailable,
        ),
        (
            400,
            error_json(
                "invalid_request_error",
                "resource_missing",
                "No such payment_intent",
            ),
            ErrorKind::NotFound,
        ),
        (
            402,
            error_json("invalid_request_error", "refund_failed", "Refund failed"),
            ErrorKind::PaymentNotRefundable,
        ),
        (
            409,
            error_json("idempotency_error", "idempotency_key_reused", "Reused"),
            ErrorKind::IdempotencyConflict,
        ),
    ];
    for (status, body, kind) in rows {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(POST).path("/v1/refunds");
                then.status(status).json_body(body.clone());
            })
            .await;
        // A partial refund: a full one refused as "already refunded" is
        // looked up by its key first (`find_by_key.rs`), which this server
        // does not answer.
        let partial = RefundAmount::Partial(refundkit_core::Money::parse("10.01", "USD").unwrap());
        let error = client(&server)
            .create_refund(&request(partial, RefundReason::Duplicate))
            .await
            .unwrap_err();
        mock.assert_calls_async(1).await;
        assert!(
            matches!(error, RefundError::Provider(_)),
            "HTTP {status}: {error:?}"
        );
        assert_eq!(error.kind(), Some(kind), "HTTP {status}");
    }
}

#[tokio::test]
async fn request_in_progress_that_never_clears_is_outcome_unknown() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(409).json_body(error_json(
                "invalid_request_error",
                "idempotency_key_in_use",
                "In progress",
            ));
        })
        .await;
    let request = request(RefundAmount::Full, RefundReason::Duplicate);
    let error = client(&server).create_refund(&request).await.unwrap_err();
    mock.assert_calls_async(3).await;
    assert!(
        matches!(error, RefundError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    assert_eq!(error.kind(), Some(ErrorKind::RequestInProgress));
}

#[tokio::test]
async fn reads_are_retried_on_server_faults_but_never_outcome_unknown() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/refunds/{REFUND}"));
            then.status(503);
        })
        .await;
    let error = client(&server).get_refund(&refund_id()).await.unwrap_err();
    mock.assert_calls_async(3).await;
    assert!(matches!(error, RefundError::Provider(_)), "{error:?}");
    assert_eq!(error.kind(), Some(ErrorKind::ProviderUnavailable));
}
