use refundkit::toolkit::transport::{ErrorClassifier, ErrorResponse, Operation};
use refundkit::{
    ErrorKind, IdempotencyKey, Money, ProviderId, ProviderOptions, RefundAmount, RefundError,
    RefundReason, RefundRequest, RefundStatus, KEY_METADATA,
};
use serde_json::json;

use super::{check_created, create_body, decode_refund};
use crate::LedgerOptions;

fn answer(status: u16, body: &str) -> ErrorResponse {
    ErrorResponse {
        status,
        headers: Default::default(),
        body: body.as_bytes().to_vec().into(),
        retry_after: None,
    }
}

fn refund_json(amount: &str, status: &str) -> serde_json::Value {
    json!({
        "id": "lr_000001", "payment_id": "lp_000001", "amount": amount, "currency": "USD",
        "status": status, "metadata": {}, "created": 1_700_000_000
    })
}

fn partial(amount: &str) -> RefundRequest {
    let money = Money::parse(amount, "USD").unwrap();
    RefundRequest::builder(
        "lp_000001",
        RefundAmount::Partial(money),
        RefundReason::Duplicate,
    )
    .build()
    .unwrap()
}

#[test]
fn every_documented_code_has_its_kind() {
    let table = [
        ("invalid_request", 400, ErrorKind::InvalidRequest),
        ("unauthorized", 401, ErrorKind::Authentication),
        ("not_found", 404, ErrorKind::NotFound),
        ("idempotency_conflict", 409, ErrorKind::IdempotencyConflict),
        ("request_in_progress", 409, ErrorKind::RequestInProgress),
        ("exceeds_available", 422, ErrorKind::RefundExceedsAvailable),
        ("not_refundable", 422, ErrorKind::PaymentNotRefundable),
        ("rate_limited", 429, ErrorKind::RateLimited),
        ("unavailable", 503, ErrorKind::ProviderUnavailable),
    ];
    for (code, status, kind) in table {
        let body = json!({"error": {"code": code, "message": "no"}}).to_string();
        let response = answer(status, &body);
        let error = super::LedgerErrorClassifier.classify(Operation::CreateRefund, &response);
        assert_eq!(
            (error.kind, error.provider_code.as_deref()),
            (kind, Some(code))
        );
        assert!(
            super::LedgerErrorClassifier.is_documented(&response),
            "{code}"
        );
    }
}

#[test]
fn an_answer_that_is_not_the_ledgers_is_classed_by_status_and_undocumented() {
    for (status, body, kind) in [
        (
            502,
            "<html>bad gateway</html>",
            ErrorKind::ProviderUnavailable,
        ),
        (400, "", ErrorKind::Other),
        (
            409,
            r#"{"error":{"code":"brand_new","message":"?"}}"#,
            ErrorKind::Other,
        ),
    ] {
        let response = answer(status, body);
        let error = super::LedgerErrorClassifier.classify(Operation::CreateRefund, &response);
        assert_eq!(error.kind, kind, "{status} {body}");
        assert!(!super::LedgerErrorClassifier.is_documented(&response));
    }
}

#[test]
fn amounts_are_exact_decimals_in_major_units() {
    let refund = decode_refund(refund_json("10.01", "succeeded")).unwrap();
    assert_eq!(refund.amount, Money::parse("10.01", "USD").unwrap());
    assert_eq!(refund.status, RefundStatus::Succeeded);
    for bad in [json!("4.001"), json!("1e3"), json!(" 4.00"), json!(4.0)] {
        let mut raw = refund_json("0", "succeeded");
        raw["amount"] = bad.clone();
        let error = decode_refund(raw).unwrap_err();
        assert!(
            matches!(error, RefundError::Decode { .. }),
            "{bad}: {error:?}"
        );
    }
}

#[test]
fn a_status_the_ledger_does_not_document_does_not_decode() {
    let error = decode_refund(refund_json("1.00", "refunded-ish")).unwrap_err();
    assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
}

#[test]
fn a_partial_create_sends_the_exact_amount_and_the_key_stamp() {
    let request = partial("0.10");
    let body = serde_json::to_value(create_body(&request).unwrap()).unwrap();
    assert_eq!(
        (body["amount"].as_str(), body["currency"].as_str()),
        (Some("0.1"), Some("USD"))
    );
    let key = request.idempotency_key().to_string();
    assert_eq!(body["metadata"][KEY_METADATA].as_str(), Some(key.as_str()));
}

#[test]
fn a_full_refund_sends_no_amount() {
    let request = RefundRequest::builder("lp_1", RefundAmount::Full, RefundReason::Duplicate)
        .idempotency_key(IdempotencyKey::new())
        .provider_options(LedgerOptions::account("returns"))
        .build()
        .unwrap();
    let body = serde_json::to_value(create_body(&request).unwrap()).unwrap();
    assert!(body.get("amount").is_none() && body.get("currency").is_none());
    assert_eq!(body["account"], "returns");
}

#[test]
fn another_providers_options_are_refused_before_a_body_is_built() {
    let foreign = ProviderOptions::new(ProviderId::from_static("acme")).with("account", "x");
    let request = RefundRequest::builder("lp_1", RefundAmount::Full, RefundReason::Duplicate)
        .provider_options(foreign)
        .build()
        .unwrap();
    match create_body(&request) {
        Err(RefundError::Invalid(error)) => assert_eq!(error.field(), "provider_options"),
        other => panic!("expected invalid provider_options, got {other:?}"),
    }
}

#[test]
fn a_created_refund_of_another_amount_is_an_integrity_mismatch() {
    let refund = decode_refund(refund_json("4.00", "succeeded")).unwrap();
    assert!(check_created(refund.clone(), &partial("4")).is_ok());
    let error = check_created(refund, &partial("5.00")).unwrap_err();
    assert!(
        matches!(
            error,
            RefundError::IntegrityMismatch {
                field: "amount",
                ..
            }
        ),
        "{error:?}"
    );
}
