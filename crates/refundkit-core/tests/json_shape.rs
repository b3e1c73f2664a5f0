//! The public JSON shape of a refund (docs/json.md).

use refundkit_core::{FailureReason, Money, Refund, RefundId, RefundReason, RefundStatus};
use serde_json::json;
use time::macros::datetime;

/// A neutral provider name: core names no real provider.
const ACME: refundkit_core::ProviderId = refundkit_core::ProviderId::from_static("acme");

fn sample() -> Refund {
    let mut refund = Refund::new(
        ACME,
        RefundId::new("RF2043629695899013120").unwrap(),
        Money::parse("10.01", "USD").unwrap(),
        RefundStatus::Succeeded,
    );
    refund.payment_id = Some("PI2043628825316691968".into());
    refund.reason = Some(RefundReason::RequestedByCustomer);
    refund
        .metadata
        .insert("order_id".into(), "order_6789".into());
    refund.created_at = Some(datetime!(2024-03-01 00:00:00 +08:00));
    refund.updated_at = Some(datetime!(2024-03-01 00:00:00 +08:00));
    refund.raw =
        refundkit_core::RawJson::from_value(&json!({"payment_refund_id": "RF2043629695899013120"}));
    refund
}

#[test]
fn refund_json_has_the_documented_shape() {
    assert_eq!(
        sample().to_json(),
        json!({
            "ref": "acme:RF2043629695899013120",
            "id": "RF2043629695899013120",
            "provider": "acme",
            "payment_id": "PI2043628825316691968",
            "amount": {"value": "10.01", "currency": "USD"},
            "status": "succeeded",
            "reason": "requested_by_customer",
            "description": null,
            "failure": null,
            "metadata": {"order_id": "order_6789"},
            "created_at": "2024-03-01T00:00:00+08:00",
            "updated_at": "2024-03-01T00:00:00+08:00"
        })
    );
}

#[test]
fn unknown_statuses_and_failures_keep_their_raw_value() {
    let mut refund = sample();
    refund.status = RefundStatus::Unknown("ON_HOLD".into());
    refund.failure = Some(FailureReason::Other("bank_closed".into()));
    let json = refund.to_json();
    assert_eq!(json["status"], "ON_HOLD");
    assert_eq!(json["failure"], "bank_closed");
}

#[test]
fn refund_json_reads_back() {
    let json = sample().to_json();
    let back: Refund = serde_json::from_value(json).unwrap();
    let mut expected = sample();
    expected.raw = Default::default();
    assert_eq!(back, expected);
}
