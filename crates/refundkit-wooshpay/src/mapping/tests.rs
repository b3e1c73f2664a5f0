//! Unit tests of mapping.rs, on the exact JSON from the provider docs.

use super::*;
use refundkit_core::IdempotencyKey;
use serde_json::json;

const SEED_REQUEST: &str =
    include_str!("../../../../tests/fixtures/seeds/wooshpay_create_request.json");
const SEED_RESPONSE: &str =
    include_str!("../../../../tests/fixtures/seeds/wooshpay_create_response.json");

fn exponents() -> CurrencyExponents {
    CurrencyExponents::default()
}

fn request(amount: RefundAmount, reason: RefundReason) -> refundkit_core::RefundRequestBuilder {
    RefundRequest::builder("pi_1787730829493927936", amount, reason)
        .idempotency_key(IdempotencyKey::new())
}

fn partial(amount: &str, currency: &str) -> RefundAmount {
    RefundAmount::Partial(Money::parse(amount, currency).unwrap())
}

fn body_json(request: &RefundRequest) -> Value {
    serde_json::to_value(create_body(request, &exponents()).unwrap()).unwrap()
}

fn map(value: Value) -> Result<Refund, RefundError> {
    let wire: WireRefund = serde_json::from_value(value.clone()).unwrap();
    let raw = RawJson::from_value(&value);
    refund_from_wire(wire, raw, &exponents())
}

fn refund_json(status: &str) -> Value {
    json!({
        "id": "re_1787730829493927937", "object": "refund", "amount": 1001,
        "created": 1776074262, "currency": "usd", "metadata": {"order_id": "order_6789"},
        "payment_intent": "pi_1787730829493927936", "reason": "requested_by_customer",
        "status": status, "description": null, "failure_reason": null
    })
}

#[test]
fn full_refund_for_a_customer_encodes_as_the_seed_request() {
    let request = request(RefundAmount::Full, RefundReason::RequestedByCustomer)
        .build()
        .unwrap();
    let mut seed: Value = serde_json::from_str(SEED_REQUEST).unwrap();
    // The seed plus refundkit's key stamp, which finds the refund by its key later.
    seed["metadata"] = json!({"refundkit_idempotency_key": request.idempotency_key().to_string()});
    assert_eq!(body_json(&request), seed);
}

#[test]
fn partial_amounts_travel_as_minor_unit_integers() {
    let usd = request(partial("10.01", "USD"), RefundReason::Duplicate)
        .build()
        .unwrap();
    assert_eq!(body_json(&usd)["amount"], json!(1001));
    let jpy = request(partial("1000", "JPY"), RefundReason::Duplicate)
        .build()
        .unwrap();
    assert_eq!(body_json(&jpy)["amount"], json!(1000));
    let kwd = request(partial("1.005", "KWD"), RefundReason::Duplicate)
        .build()
        .unwrap();
    assert_eq!(body_json(&kwd)["amount"], json!(1005));
}

#[test]
fn every_stripe_zero_decimal_currency_is_known_and_whole() {
    let table = exponents();
    for code in ZERO_DECIMAL_CURRENCIES {
        let currency = Currency::new(code).unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(table.exponent(currency), 0, "{code}");
    }
    assert_eq!(table.exponent(Currency::new("USD").unwrap()), 2);
    assert_eq!(table.exponent(Currency::new("KWD").unwrap()), 3);
}

#[test]
fn fractional_amount_in_a_zero_decimal_currency_is_refused_not_rounded() {
    // MGA has 2 digits in ISO 4217 but is zero-decimal for WooshPay (assumed).
    let request = request(partial("10.50", "MGA"), RefundReason::Duplicate)
        .build()
        .unwrap();
    let error = create_body(&request, &exponents()).unwrap_err();
    assert_eq!(error.field(), "amount");
    let whole = request_whole_mga();
    assert_eq!(body_json(&whole)["amount"], json!(10));
}

fn request_whole_mga() -> RefundRequest {
    request(partial("10", "MGA"), RefundReason::Duplicate)
        .build()
        .unwrap()
}

#[test]
fn documented_reasons_are_sent_and_free_text_goes_to_metadata() {
    for (reason, code) in [
        (RefundReason::Duplicate, "duplicate"),
        (RefundReason::Fraudulent, "fraudulent"),
        (RefundReason::RequestedByCustomer, "requested_by_customer"),
        (RefundReason::ResolvedDispute, "resolved_dispute"),
    ] {
        let request = request(RefundAmount::Full, reason).build().unwrap();
        assert_eq!(body_json(&request)["reason"], json!(code));
    }
    let other = request(
        RefundAmount::Full,
        RefundReason::Other("Return good".into()),
    )
    .description("order 6789, line 2")
    .build()
    .unwrap();
    assert_eq!(
        body_json(&other),
        json!({
            "payment_intent": "pi_1787730829493927936",
            "metadata": {
                "refundkit_reason": "Return good",
                "refundkit_description": "order 6789, line 2",
                "refundkit_idempotency_key": other.idempotency_key().to_string()
            }
        })
    );
}

#[test]
fn expired_uncaptured_charge_is_response_only() {
    let request = request(RefundAmount::Full, RefundReason::ExpiredUncapturedCharge)
        .build()
        .unwrap();
    assert_eq!(
        create_body(&request, &exponents()).unwrap_err().field(),
        "reason"
    );
}

#[test]
fn reserved_metadata_keys_are_refused() {
    // Refused when the request is built, so never sent.
    for key in [
        METADATA_REASON_KEY,
        METADATA_DESCRIPTION_KEY,
        "refundkit_idempotency_key",
    ] {
        let error = request(RefundAmount::Full, RefundReason::Duplicate)
            .metadata(key, "mine")
            .build()
            .unwrap_err();
        assert_eq!(error.field(), "metadata");
    }
}

#[test]
fn stripe_metadata_limits_apply() {
    let long_key = "k".repeat(41);
    let long_value = "v".repeat(501);
    let cases: Vec<RefundRequest> = vec![
        request(RefundAmount::Full, RefundReason::Duplicate)
            .metadata(long_key, "v")
            .build()
            .unwrap(),
        request(RefundAmount::Full, RefundReason::Duplicate)
            .metadata("k", long_value)
            .build()
            .unwrap(),
        request(RefundAmount::Full, RefundReason::Duplicate)
            .metadata("a[b]", "v")
            .build()
            .unwrap(),
        (0..50)
            .fold(
                request(RefundAmount::Full, RefundReason::Other("x".into())),
                |b, i| b.metadata(format!("k{i}"), "v"),
            )
            .build()
            .unwrap(),
    ];
    for request in cases {
        assert_eq!(
            create_body(&request, &exponents()).unwrap_err().field(),
            "metadata"
        );
    }
    let at_limit = (0..50)
        .fold(
            request(RefundAmount::Full, RefundReason::Duplicate),
            |b, i| b.metadata(format!("k{i}"), "v"),
        )
        .metadata("k".repeat(40), "v".repeat(500));
    assert!(
        create_body(&at_limit.build().unwrap(), &exponents()).is_err(),
        "51 keys"
    );
    let ok = request(RefundAmount::Full, RefundReason::Duplicate)
        .metadata("k".repeat(40), "v".repeat(500))
        .build()
        .unwrap();
    assert!(create_body(&ok, &exponents()).is_ok());
}

#[test]
fn seed_response_maps_to_a_decode_error_not_a_panic() {
    let value: Value = serde_json::from_str(SEED_RESPONSE).unwrap();
    let error = map(value).unwrap_err();
    assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
}

#[test]
fn seed_response_with_real_values_maps_every_field() {
    let mut value: Value = serde_json::from_str(SEED_RESPONSE).unwrap();
    value["object"] = json!("refund");
    value["currency"] = json!("usd");
    value["status"] = json!("succeeded");
    value["amount"] = json!(1001);
    value["created"] = json!(1644328172);
    let refund = map(value.clone()).unwrap();
    assert_eq!(refund.id.as_str(), "string");
    assert_eq!(refund.amount, Money::parse("10.01", "USD").unwrap());
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(refund.reason, Some(RefundReason::Duplicate));
    assert_eq!(refund.failure, Some(FailureReason::LostOrStolenCard));
    assert_eq!(refund.description.as_deref(), Some("string"));
    assert_eq!(refund.payment_id.as_deref(), Some("string"));
    assert_eq!(refund.created_at.unwrap().unix_timestamp(), 1644328172);
    assert_eq!(
        serde_json::from_str::<Value>(refund.raw.get()).unwrap(),
        value
    );
}

#[test]
fn statuses_map_as_an_open_set() {
    for (raw, status) in [
        ("pending", RefundStatus::Pending),
        ("requires_action", RefundStatus::RequiresAction),
        ("succeeded", RefundStatus::Succeeded),
        ("failed", RefundStatus::Failed),
        ("canceled", RefundStatus::Canceled),
        (
            "reversed_by_bank",
            RefundStatus::Unknown("reversed_by_bank".into()),
        ),
    ] {
        assert_eq!(map(refund_json(raw)).unwrap().status, status, "{raw}");
    }
}

#[test]
fn failure_reasons_map_and_unknown_ones_are_kept() {
    for (raw, reason) in [
        ("lost_or_stolen_card", FailureReason::LostOrStolenCard),
        (
            "expired_or_canceled_card",
            FailureReason::ExpiredOrCanceledCard,
        ),
        ("unknown", FailureReason::Unspecified),
        (
            "insufficient_funds",
            FailureReason::Other("insufficient_funds".into()),
        ),
    ] {
        let mut value = refund_json("failed");
        value["failure_reason"] = json!(raw);
        assert_eq!(map(value).unwrap().failure, Some(reason), "{raw}");
    }
}

#[test]
fn currency_case_does_not_matter_and_zero_decimal_amounts_are_whole() {
    let mut value = refund_json("succeeded");
    value["currency"] = json!("JPY");
    value["amount"] = json!(1000);
    assert_eq!(
        map(value).unwrap().amount,
        Money::parse("1000", "JPY").unwrap()
    );
}

#[test]
fn created_in_milliseconds_is_recognized() {
    let mut value = refund_json("succeeded");
    value["created"] = json!(1668688178000_i64);
    let created = map(value).unwrap().created_at.unwrap();
    assert_eq!(created.unix_timestamp(), 1668688178);
}

#[test]
fn missing_or_unusable_essentials_are_decode_errors() {
    for field in ["id", "amount", "currency"] {
        let mut value = refund_json("succeeded");
        value.as_object_mut().unwrap().remove(field);
        assert!(
            matches!(map(value), Err(RefundError::Decode { .. })),
            "{field}"
        );
    }
    for (field, bad) in [
        ("currency", json!("XYZ")),
        ("amount", json!(-5)),
        ("amount", json!("10.01")),
        ("object", json!("payment_intent")),
        ("id", json!("re 1")),
    ] {
        let mut value = refund_json("succeeded");
        value[field] = bad;
        assert!(
            matches!(map(value), Err(RefundError::Decode { .. })),
            "{field}"
        );
    }
}

#[test]
fn tolerated_variants_still_map() {
    let mut value = refund_json("succeeded");
    value["amount"] = json!("1001");
    value["metadata"] = json!({"n": 5, "gone": null, "s": "x"});
    value.as_object_mut().unwrap().remove("status");
    let refund = map(value).unwrap();
    assert_eq!(refund.amount, Money::parse("10.01", "USD").unwrap());
    assert_eq!(refund.status, RefundStatus::Unknown(String::new()));
    assert_eq!(refund.metadata.get("n").map(String::as_str), Some("5"));
    assert_eq!(refund.metadata.get("s").map(String::as_str), Some("x"));
    assert!(!refund.metadata.contains_key("gone"));
}
