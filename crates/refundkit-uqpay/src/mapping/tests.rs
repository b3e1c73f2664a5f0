use super::*;
use crate::wire::WirePaymentAttempt;
use refundkit_core::{ErrorKind, IdempotencyKey, RefundAmount};
use serde_json::json;

const SEED_CREATE_REQUEST: &str =
    include_str!("../../../../tests/fixtures/seeds/uqpay_create_request.json");
const SEED_CREATE_RESPONSE: &str =
    include_str!("../../../../tests/fixtures/seeds/uqpay_create_response.json");
const SEED_RETRIEVE_RESPONSE: &str =
    include_str!("../../../../tests/fixtures/seeds/uqpay_retrieve_response.json");

fn decode(body: &str) -> Result<Refund, RefundError> {
    let wire: WireRefund = serde_json::from_str(body).map_err(|e| decode_error(e.to_string()))?;
    refund_from_wire(wire, serde_json::from_str(body).unwrap())
}

fn money(amount: &str, currency: &str) -> Money {
    Money::parse(amount, currency).unwrap()
}

fn expected_seed_refund(raw: &str) -> Refund {
    let mut refund = Refund::new(
        crate::PROVIDER,
        RefundId::new("RF123456789").unwrap(),
        money("10.01", "USD"),
        RefundStatus::Succeeded,
    );
    refund.reason = Some(RefundReason::Other("Order 1234 has been returned".into()));
    refund.metadata = [("customer_id", "cust_12345"), ("order_id", "order_6789")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let time = OffsetDateTime::parse("2024-03-01T00:00:00+08:00", &Rfc3339).unwrap();
    refund.created_at = Some(time);
    refund.updated_at = Some(time);
    refund.raw = serde_json::from_str(raw).unwrap();
    refund
}

#[test]
fn seed_create_response_decodes_to_the_expected_refund() {
    let refund = decode(SEED_CREATE_RESPONSE).unwrap();
    assert_eq!(refund, expected_seed_refund(SEED_CREATE_RESPONSE));
    assert_eq!(
        refund.created_at.unwrap().unix_timestamp(),
        1_709_222_400,
        "2024-03-01T00:00:00+08:00 is 2024-02-29T16:00:00Z"
    );
}

#[test]
fn seed_retrieve_response_decodes_to_the_expected_refund() {
    let refund = decode(SEED_RETRIEVE_RESPONSE).unwrap();
    assert_eq!(refund, expected_seed_refund(SEED_RETRIEVE_RESPONSE));
    let raw: serde_json::Value = serde_json::from_str(refund.raw.get()).unwrap();
    assert_eq!(raw["payment_attempt_id"], "PA123456789");
}

#[test]
fn every_documented_status_maps_and_unknown_values_are_kept() {
    let table = [
        ("INITIATED", RefundStatus::Pending, None),
        ("PROCESSING", RefundStatus::Pending, None),
        ("PENDING", RefundStatus::Pending, None),
        ("SUCCEEDED", RefundStatus::Succeeded, None),
        (
            "FAILED",
            RefundStatus::Failed,
            Some(FailureReason::Unspecified),
        ),
        ("REVERSAL_INITIATED", RefundStatus::Reversing, None),
        ("REVERSAL_PROCESSING", RefundStatus::Reversing, None),
        ("REVERSAL_SUCCEEDED", RefundStatus::Reversed, None),
        (
            "REVERSAL_FAILED",
            RefundStatus::Unknown("REVERSAL_FAILED".into()),
            None,
        ),
        ("succeeded", RefundStatus::Unknown("succeeded".into()), None),
    ];
    for (raw, status, failure) in table {
        assert_eq!(status_from_wire(raw), (status, failure), "{raw}");
    }
}

#[test]
fn amounts_are_exact_strings_never_numbers_or_rounded() {
    let base = json!({"payment_refund_id": "RF1", "currency": "KWD", "refund_status": "SUCCEEDED"});
    let with_amount = |amount: serde_json::Value| {
        let mut body = base.clone();
        body["amount"] = amount;
        decode(&body.to_string())
    };
    assert_eq!(
        with_amount(json!("1.005")).unwrap().amount,
        money("1.005", "KWD")
    );
    for bad in [json!(1.005), json!("1.0055"), json!("1e3"), json!(" 1")] {
        let error = with_amount(bad.clone()).unwrap_err();
        assert!(
            matches!(error, RefundError::Decode { .. }),
            "{bad}: {error}"
        );
    }
}

#[test]
fn unknown_currency_or_bad_time_is_a_decode_error() {
    let body = json!({"payment_refund_id": "RF1", "amount": "1", "currency": "XYZ", "refund_status": "SUCCEEDED"});
    assert!(matches!(
        decode(&body.to_string()),
        Err(RefundError::Decode { .. })
    ));
    let body = json!({"payment_refund_id": "RF1", "amount": "1", "currency": "USD",
        "refund_status": "SUCCEEDED", "create_time": "2024-03-01 00:00:00"});
    assert!(matches!(
        decode(&body.to_string()),
        Err(RefundError::Decode { .. })
    ));
}

#[test]
fn non_string_metadata_values_are_kept_as_json_text_and_codes_become_reasons() {
    let body = json!({"payment_refund_id": "RF1", "amount": "1", "currency": "JPY",
        "refund_status": "INITIATED", "reason": "requested_by_customer",
        "metadata": {"n": 5, "s": "x"}, "create_time": null});
    let refund = decode(&body.to_string()).unwrap();
    assert_eq!(refund.metadata["n"], "5");
    assert_eq!(refund.metadata["s"], "x");
    assert_eq!(refund.reason, Some(RefundReason::RequestedByCustomer));
    assert_eq!(refund.created_at, None);
}

fn intent(status: &str, captured: Option<&str>, refunded: Option<&str>) -> WirePaymentIntent {
    WirePaymentIntent {
        intent_status: status.into(),
        currency: "KWD".into(),
        create_time: None,
        captured_amount: captured.map(str::to_string),
        latest_payment_attempt: Some(WirePaymentAttempt {
            refunded_amount: refunded.map(str::to_string),
        }),
    }
}

#[test]
fn remaining_is_captured_minus_refunded_exactly() {
    let remaining =
        remaining_refundable(&intent("SUCCEEDED", Some("10.005"), Some("3.001")), "PI1");
    assert_eq!(remaining.unwrap(), Some(money("7.004", "KWD")));
    let untouched = remaining_refundable(&intent("SUCCEEDED", Some("10.005"), None), "PI1");
    assert_eq!(untouched.unwrap(), Some(money("10.005", "KWD")));
}

#[test]
fn intent_that_has_not_succeeded_is_not_refundable() {
    let error =
        remaining_refundable(&intent("REQUIRES_CAPTURE", Some("1"), None), "PI1").unwrap_err();
    assert_eq!(error.kind(), Some(ErrorKind::PaymentNotRefundable));
    assert!(error.to_string().contains("REQUIRES_CAPTURE"), "{error}");
    // Decided by refundkit: no HTTP status borrowed from the intent read.
    assert!(!matches!(error, RefundError::Provider(_)), "{error:?}");
    assert!(!error.to_string().contains("HTTP"), "{error}");
}

#[test]
fn fully_refunded_intent_says_nothing_is_left_and_how_to_reconcile() {
    for refunded in ["10", "12"] {
        let remaining =
            remaining_refundable(&intent("SUCCEEDED", Some("10"), Some(refunded)), "PI1");
        assert_eq!(remaining.unwrap(), None);
        let error = nothing_left("PI1");
        assert_eq!(error.kind(), Some(ErrorKind::RefundExceedsAvailable));
        assert!(
            !matches!(error, RefundError::Provider(_)),
            "not borrowed: {error:?}"
        );
        let text = error.to_string();
        assert!(
            text.contains("nothing is left") && text.contains("list_refunds"),
            "{text}"
        );
    }
}

#[test]
fn intent_without_captured_amount_is_a_decode_error() {
    let error = remaining_refundable(&intent("SUCCEEDED", None, None), "PI1").unwrap_err();
    assert!(matches!(error, RefundError::Decode { .. }));
}

#[test]
fn partial_refund_must_be_in_the_intent_currency_in_any_case() {
    let mut intent = intent("PENDING", None, None);
    intent.currency = "kwd".into();
    assert!(check_refund_currency(&intent, "PI1", &money("1.005", "KWD")).is_ok());
    let error = check_refund_currency(&intent, "PI1", &money("1", "USD")).unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(&error, RefundError::Invalid(e) if e.field() == "amount"),
        "{text}"
    );
    assert!(
        ["USD", "KWD", "PI1"].iter().all(|t| text.contains(t)),
        "{text}"
    );
    intent.currency = "XYZ".into();
    let error = check_refund_currency(&intent, "PI1", &money("1", "USD")).unwrap_err();
    assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
}

fn request(amount: RefundAmount) -> refundkit_core::RefundRequestBuilder {
    RefundRequest::builder(
        "PI1234567890123456789",
        amount,
        RefundReason::RequestedByCustomer,
    )
}

#[test]
fn seed_create_request_is_produced_exactly() {
    let request = RefundRequest::builder(
        "PI1234567890123456789",
        RefundAmount::Partial(money("10.01", "USD")),
        RefundReason::Other("ignored when a description is given".into()),
    )
    .description("Return good")
    .provider_options(crate::UqPayOptions::new().payment_attempt_id("PA1234567890123456789"))
    .metadata("customer_id", "cust_12345")
    .metadata("order_id", "order_6789")
    .idempotency_key(IdempotencyKey::new())
    .build()
    .unwrap();
    let prepared = PreparedCreate::prepare(&request, None).unwrap();
    let body = serde_json::to_value(prepared.body(&money("10.01", "USD"))).unwrap();
    let mut seed: serde_json::Value = serde_json::from_str(SEED_CREATE_REQUEST).unwrap();
    // The seed, plus the key stamp that lets the refund be found by its key.
    seed["metadata"]["refundkit_idempotency_key"] = json!(request.idempotency_key().to_string());
    seed["metadata"]["refundkit_payment_id"] = json!("PI1234567890123456789");
    assert_eq!(body, seed);
    assert_eq!(prepared.on_behalf_of, None);
}

#[test]
fn amounts_are_sent_with_exactly_the_needed_digits() {
    for (amount, currency, sent) in [
        ("1000", "JPY", "1000"),
        ("1.005", "KWD", "1.005"),
        ("10.10", "USD", "10.1"),
    ] {
        let money = money(amount, currency);
        let request = request(RefundAmount::Partial(money)).build().unwrap();
        let body = serde_json::to_value(
            PreparedCreate::prepare(&request, None)
                .unwrap()
                .body(&money),
        )
        .unwrap();
        assert_eq!(body["amount"], json!(sent));
        assert_eq!(body["reason"], json!("requested_by_customer"));
        let stamp_only = json!({
            "refundkit_idempotency_key": request.idempotency_key().to_string(),
            "refundkit_payment_id": "PI1234567890123456789"
        });
        assert!(body["metadata"] == stamp_only && body.get("payment_attempt_id").is_none());
    }
}

#[test]
fn reason_text_prefers_description_then_other_text_then_code() {
    let described = request(RefundAmount::Full)
        .description("Damaged")
        .build()
        .unwrap();
    assert_eq!(reason_text(&described), "Damaged");
    let other = RefundRequest::builder(
        "PI1",
        RefundAmount::Full,
        RefundReason::Other("Late".into()),
    )
    .build()
    .unwrap();
    assert_eq!(reason_text(&other), "Late");
    let coded = RefundRequest::builder("PI1", RefundAmount::Full, RefundReason::Duplicate)
        .build()
        .unwrap();
    assert_eq!(reason_text(&coded), "duplicate");
}

#[test]
fn uqpay_limits_are_checked_before_sending() {
    let cases: Vec<(RefundRequest, &str)> = vec![
        (
            RefundRequest::builder("P".repeat(37), RefundAmount::Full, RefundReason::Duplicate)
                .build()
                .unwrap(),
            "payment_id",
        ),
        (
            request(RefundAmount::Full)
                .provider_options(crate::UqPayOptions::new().payment_attempt_id("A".repeat(37)))
                .build()
                .unwrap(),
            "payment_attempt_id",
        ),
        (
            request(RefundAmount::Full)
                .description("d".repeat(101))
                .build()
                .unwrap(),
            "description",
        ),
        (
            RefundRequest::builder(
                "PI1",
                RefundAmount::Full,
                RefundReason::Other("r".repeat(101)),
            )
            .build()
            .unwrap(),
            "reason",
        ),
        (
            request(RefundAmount::Full)
                .metadata("k", "v".repeat(505))
                .build()
                .unwrap(),
            "metadata",
        ),
        (
            request(RefundAmount::Full)
                .provider_options(crate::UqPayOptions::new().on_behalf_of("sub-account-7"))
                .build()
                .unwrap(),
            "on_behalf_of",
        ),
    ];
    for (request, field) in cases {
        let error = PreparedCreate::prepare(&request, None).unwrap_err();
        assert_eq!(error.field(), field, "{error}");
    }
    let at_limits = request(RefundAmount::Full)
        .description("d".repeat(100))
        // 512 bytes of JSON with the key and payment stamps.
        .metadata("k", "v".repeat(390))
        .build()
        .unwrap();
    assert!(PreparedCreate::prepare(&at_limits, None).is_ok());
}

#[test]
fn metadata_length_is_counted_as_serde_json_writes_it() {
    let texts = [
        "",
        "order_6789",
        "quote \" and backslash \\",
        "short escapes \u{8}\t\n\u{c}\r",
        "long escapes \u{0}\u{1f}\u{b}",
        "delete \u{7f}, non-ASCII é € 😀, a slash /",
    ];
    for count in 0..=texts.len() {
        let metadata: BTreeMap<String, String> = texts
            .iter()
            .take(count)
            .enumerate()
            .map(|(n, text)| (format!("{text}{n}"), text.to_string()))
            .collect();
        let written = serde_json::to_vec(&metadata).unwrap().len();
        assert_eq!(json_object_len(&metadata), written, "{metadata:?}");
    }
}

#[test]
fn request_sub_account_overrides_the_configured_one() {
    const CONFIGURED: &str = "11111111-1111-4111-8111-111111111111";
    let plain = request(RefundAmount::Full).build().unwrap();
    let prepared = PreparedCreate::prepare(&plain, Some(CONFIGURED)).unwrap();
    assert_eq!(prepared.on_behalf_of.as_deref(), Some(CONFIGURED));
    let own = request(RefundAmount::Full)
        .provider_options(
            crate::UqPayOptions::new().on_behalf_of("22222222-2222-4222-8222-222222222222"),
        )
        .build()
        .unwrap();
    let prepared = PreparedCreate::prepare(&own, Some(CONFIGURED)).unwrap();
    assert_eq!(
        prepared.on_behalf_of.as_deref(),
        Some("22222222-2222-4222-8222-222222222222")
    );
}

#[test]
fn list_query_carries_every_filter() {
    let mut query = crate::UqPayListFilter::merchant_order_id("order-1")
        .unwrap()
        .apply(ListRefunds::for_payment("PI1").page(2).page_size(50));
    query.created_from =
        Some(OffsetDateTime::parse("2024-03-01T00:00:00+08:00", &Rfc3339).unwrap());
    query.created_to = Some(OffsetDateTime::from_unix_timestamp(1_711_929_600).unwrap());
    let pairs = list_query(&query).unwrap();
    let expected = [
        ("page_number", "2"),
        ("page_size", "50"),
        ("payment_intent_id", "PI1"),
        ("merchant_order_id", "order-1"),
        ("start_time", "2024-03-01T00:00:00+08:00"),
        ("end_time", "2024-04-01T00:00:00Z"),
    ];
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(pairs, expected);
    assert_eq!(
        list_query(&ListRefunds::default().page_size(101))
            .unwrap_err()
            .field(),
        "page_size"
    );
    assert_eq!(
        list_query(&ListRefunds::default().page(0))
            .unwrap_err()
            .field(),
        "page"
    );
}

#[test]
fn list_page_fills_payment_id_from_the_filter() {
    let page: WireRefundPage = serde_json::from_value(json!({
        "total_pages": 3, "total_items": 5,
        "data": [serde_json::from_str::<serde_json::Value>(SEED_RETRIEVE_RESPONSE).unwrap()]
    }))
    .unwrap();
    let query = ListRefunds::for_payment("PI9");
    let page = page_from_wire(page, &query).unwrap();
    assert_eq!(
        (page.total_pages, page.total_items, page.page),
        (Some(3), Some(5), 1)
    );
    assert_eq!(page.refunds[0].payment_id.as_deref(), Some("PI9"));
    assert!(page.has_more());
    let empty: WireRefundPage = serde_json::from_value(json!({"data": null})).unwrap();
    assert!(page_from_wire(empty, &ListRefunds::default())
        .unwrap()
        .refunds
        .is_empty());
}

#[test]
fn another_providers_options_or_an_unknown_option_are_refused_naming_the_field() {
    let foreign =
        refundkit_core::ProviderOptions::new(refundkit_core::ProviderId::from_static("acme"))
            .with("payment_attempt_id", "PA1");
    let unknown = refundkit_core::ProviderOptions::new(crate::PROVIDER).with("ledger", "eu-1");
    for options in [foreign, unknown] {
        let request = request(RefundAmount::Full)
            .provider_options(options)
            .build()
            .unwrap();
        let error = PreparedCreate::prepare(&request, None).unwrap_err();
        assert_eq!(error.field(), "provider_options", "{error}");
    }
    let mut query = ListRefunds::for_payment("PI1");
    query.provider_options = Some(
        refundkit_core::ProviderOptions::new(crate::PROVIDER).with("payment_attempt_id", "PA1"),
    );
    assert_eq!(list_query(&query).unwrap_err().field(), "provider_options");
}

fn at(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).unwrap()
}

#[test]
fn search_windows_reach_back_to_the_payment_newest_first_and_without_gaps() {
    let now = at("2026-12-01T00:00:00Z");
    let created = at("2024-11-15T00:00:00Z");
    let windows: Vec<_> = search_windows(now, Some(created)).collect();
    // Two years and a bit, in windows of 90 days.
    assert_eq!(windows.len(), 9);
    assert!(windows.first().unwrap().1 > now);
    assert!(windows.last().unwrap().0 < created);
    for pair in windows.windows(2) {
        let (newer, older) = (pair[0], pair[1]);
        assert_eq!(older.1, newer.0, "contiguous");
        assert_eq!(newer.1 - newer.0, LIST_WINDOW);
    }
}

#[test]
fn search_windows_without_a_creation_time_cover_fifteen_months() {
    let now = at("2026-12-01T00:00:00Z");
    assert_eq!(search_windows(now, None).count(), MAX_LOOKBACK_WINDOWS);
    // A payment made today (or a clock behind the provider's) still gets one.
    assert_eq!(search_windows(now, Some(now)).count(), 1);
    assert_eq!(
        search_windows(now, Some(at("2027-06-01T00:00:00Z"))).count(),
        1
    );
}

#[test]
fn search_windows_of_a_far_past_creation_time_end_without_overflow() {
    let now = at("2026-12-01T00:00:00Z");
    let windows = search_windows(now, Some(at("0000-01-01T00:00:00Z")));
    // Lazily made: the caller's page cap decides how many are read.
    assert_eq!(windows.take(200).count(), 200);
    let all = search_windows(now, Some(time::PrimitiveDateTime::MIN.assume_utc()));
    assert!(all.count() > 30_000);
}
