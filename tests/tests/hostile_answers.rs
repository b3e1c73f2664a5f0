//! Property tests: generated provider answers (mutated documented examples,
//! wrong types, huge and negative numbers, deep nesting, truncation, random
//! bytes, bodies over the cap) × statuses 200–599 × every operation of both
//! adapters, through the real transport on loopback. No answer panics, and
//! every create that got an answer ends `Ok` with the requested refund,
//! `IntegrityMismatch` (a 2xx naming a different refund), or
//! `OutcomeUnknown` carrying its key — unless the answer was a documented 4xx
//! refusal.
//!
//! CI runs `CASES` cases per property; `PROPTEST_CASES=100000` runs the long
//! version (docs/testing.md).

mod hostile;

use std::time::Duration;

use hostile::{body, cases, status, with_error_bodies, Canned, CannedServer, Route, CAP};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use refundkit::toolkit::transport::{RetryPolicy, TransportConfig};
use refundkit::uqpay::{UqPayClient, UqPayConfig};
use refundkit::wooshpay::{WooshPayClient, WooshPayConfig};
use refundkit::{
    IdempotencyKey, ListRefunds, Money, RefundAmount, RefundError, RefundId, RefundProvider,
    RefundReason, RefundRequest, SecretString,
};
use serde_json::{json, Value};

const CASES: u32 = 512;
const UQPAY_PAYMENT: &str = "PI2043628825316691968";
const WOOSHPAY_PAYMENT: &str = "pi_3MtwBwLkdIwHu7ix28a3tqPa";

fn transport() -> TransportConfig {
    TransportConfig::default()
        .with_timeout(Duration::from_secs(5))
        .with_max_response_bytes(CAP)
        .with_retry(RetryPolicy::never())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(CASES),
        failure_persistence: None,
        ..Config::default()
    })
}

fn uqpay_client(server: &CannedServer) -> UqPayClient {
    let config = UqPayConfig::builder("client-1", SecretString::from("apikey-hostile-1"))
        .base_url(&server.base_url("/api"))
        .transport(transport())
        .build()
        .unwrap();
    UqPayClient::new(config).unwrap()
}

fn wooshpay_client(server: &CannedServer) -> WooshPayClient {
    let config = WooshPayConfig::builder(SecretString::from("sk_test_hostile_1"))
        .base_url(&server.base_url("/"))
        .transport(transport())
        .build()
        .unwrap();
    WooshPayClient::new(config).unwrap()
}

fn uqpay_refund() -> Value {
    json!({
        "payment_refund_id": "RF2043629695899013120",
        "payment_attempt_id": "PA2043628825429938176",
        "amount": "10.01",
        "currency": "USD",
        "refund_status": "SUCCEEDED",
        "create_time": "2026-04-13T17:57:42+08:00",
        "update_time": "2026-04-13T17:57:42+08:00",
        "reason": "requested_by_customer",
        "metadata": {"order_id": "order_6789"}
    })
}

fn uqpay_intent() -> Value {
    json!({
        "payment_intent_id": UQPAY_PAYMENT,
        "amount": "100.00",
        "currency": "USD",
        "intent_status": "SUCCEEDED",
        "captured_amount": "100.00",
        "latest_payment_attempt": {
            "attempt_id": "PA2043628825429938176",
            "amount": "100.00",
            "captured_amount": "100.00",
            "refunded_amount": "0.00"
        }
    })
}

fn uqpay_token() -> Value {
    let expired_at = time::OffsetDateTime::now_utc().unix_timestamp() + 1800;
    json!({"auth_token": "eyJ.hostile.token", "expired_at": expired_at})
}

fn uqpay_errors() -> Vec<Value> {
    vec![
        json!({"type": "invalid_request_error", "code": "invalid_amount", "message": "bad"}),
        json!({"type": "refund_error", "code": "refund_amount_exceeds", "message": "exceeds"}),
        json!({"type": "not_found", "code": "resource_not_found", "message": "no"}),
        json!({"code": 200, "message": "Request is processing"}),
        json!({"type": "idempotency_error", "code": "key_reused", "message": "reused"}),
    ]
}

fn wooshpay_refund() -> Value {
    json!({
        "id": "re_3MtwBwLkdIwHu7ix0snN0B15",
        "object": "refund",
        "amount": 1001,
        "created": 1_776_074_262,
        "currency": "usd",
        "metadata": {"order_id": "order_6789"},
        "payment_intent": WOOSHPAY_PAYMENT,
        "reason": "requested_by_customer",
        "status": "succeeded"
    })
}

fn wooshpay_errors() -> Vec<Value> {
    vec![
        json!({"error": {"type": "invalid_request_error", "code": "amount_too_large", "message": "too large"}}),
        json!({"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "no such"}}),
        json!({"error": {"type": "idempotency_error", "code": "idempotency_key_in_use", "message": "in use"}}),
        json!({"error": {"type": "card_error", "code": "card_declined", "message": "declined"}}),
    ]
}

/// Whether `(status, body)` is a documented 4xx refusal, judged here
/// independently of the adapters: a JSON object with a string `type` or a
/// `code`, at the top level or (WooshPay) inside `error`.
fn documented_refusal(status: u16, body: &[u8]) -> bool {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let has_code = |map: &serde_json::Map<String, Value>| {
        map.get("type")
            .is_some_and(|t| t.as_str().is_some_and(|t| !t.trim().is_empty()))
            || map.get("code").is_some_and(|c| match c {
                Value::String(text) => !text.trim().is_empty(),
                Value::Number(_) => true,
                _ => false,
            })
    };
    let nested = map
        .get("error")
        .and_then(Value::as_object)
        .is_some_and(has_code);
    (400..500).contains(&status) && (has_code(&map) || nested)
}

/// The create invariant, for one answer.
fn check_create(
    outcome: Result<refundkit::Refund, RefundError>,
    request: &RefundRequest,
    status: u16,
    body: &[u8],
) -> Result<(), TestCaseError> {
    let requested = match request.amount() {
        RefundAmount::Partial(money) => Some(*money),
        RefundAmount::Full => None,
    };
    match outcome {
        Ok(refund) => {
            prop_assert!((200..300).contains(&status), "Ok from HTTP {status}");
            if let Some(money) = requested {
                prop_assert_eq!(refund.amount, money);
            }
            prop_assert_eq!(refund.payment_id.as_deref(), Some(request.payment_id()));
        }
        Err(RefundError::OutcomeUnknown {
            idempotency_key, ..
        }) => prop_assert_eq!(&idempotency_key, request.idempotency_key()),
        Err(RefundError::IntegrityMismatch { .. }) => {
            prop_assert!((200..300).contains(&status), "mismatch from HTTP {status}")
        }
        Err(other) => prop_assert!(
            documented_refusal(status, body),
            "HTTP {status} body {:?} ended as a plain {} error: {other}",
            String::from_utf8_lossy(body),
            other.code()
        ),
    }
    Ok(())
}

fn partial(payment: &str) -> RefundRequest {
    RefundRequest::builder(
        payment,
        RefundAmount::Partial(Money::parse("10.01", "USD").unwrap()),
        RefundReason::RequestedByCustomer,
    )
    .idempotency_key(IdempotencyKey::new())
    .build()
    .unwrap()
}

fn full(payment: &str) -> RefundRequest {
    RefundRequest::builder(payment, RefundAmount::Full, RefundReason::Duplicate)
        .idempotency_key(IdempotencyKey::new())
        .build()
        .unwrap()
}

#[test]
fn uqpay_create_answers_end_in_a_refund_a_refusal_or_outcome_unknown() {
    let rt = runtime();
    let server = rt.block_on(CannedServer::start());
    server.set(Route::Token, Canned::json(200, &uqpay_token()));
    server.set(Route::Intent, Canned::json(200, &uqpay_intent()));
    let client = uqpay_client(&server);
    let strategy = (
        status(),
        with_error_bodies(uqpay_refund(), uqpay_errors()),
        any::<bool>(),
    );
    runner()
        .run(&strategy, |(status, body, is_full)| {
            server.set(
                Route::Create,
                Canned {
                    status,
                    body: body.clone(),
                },
            );
            let request = if is_full {
                full(UQPAY_PAYMENT)
            } else {
                partial(UQPAY_PAYMENT)
            };
            let outcome = rt.block_on(client.create_refund(&request));
            check_create(outcome, &request, status, &body)
        })
        .unwrap();
}

#[test]
fn wooshpay_create_answers_end_in_a_refund_a_refusal_or_outcome_unknown() {
    let rt = runtime();
    let server = rt.block_on(CannedServer::start());
    let client = wooshpay_client(&server);
    let strategy = (
        status(),
        with_error_bodies(wooshpay_refund(), wooshpay_errors()),
        any::<bool>(),
    );
    runner()
        .run(&strategy, |(status, body, is_full)| {
            server.set(
                Route::Create,
                Canned {
                    status,
                    body: body.clone(),
                },
            );
            let request = if is_full {
                full(WOOSHPAY_PAYMENT)
            } else {
                partial(WOOSHPAY_PAYMENT)
            };
            let outcome = rt.block_on(client.create_refund(&request));
            check_create(outcome, &request, status, &body)
        })
        .unwrap();
}

#[test]
fn uqpay_read_answers_never_panic() {
    let rt = runtime();
    let server = rt.block_on(CannedServer::start());
    server.set(Route::Token, Canned::json(200, &uqpay_token()));
    let client = uqpay_client(&server);
    let page = json!({"total_pages": 1, "total_items": 1, "data": [uqpay_refund()]});
    let strategy = (
        status(),
        prop_oneof![body(uqpay_refund()), body(page)],
        any::<bool>(),
    );
    let id = RefundId::new("RF2043629695899013120").unwrap();
    let mut query = ListRefunds::default();
    query.payment_id = Some(UQPAY_PAYMENT.into());
    runner()
        .run(&strategy, |(status, body, list)| {
            server.set(Route::Read, Canned { status, body });
            if list {
                let _ = rt.block_on(client.list_refunds(&query));
            } else if let Ok(refund) = rt.block_on(client.get_refund(&id)) {
                prop_assert_eq!(refund.id, id.clone());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn wooshpay_read_answers_never_panic() {
    let rt = runtime();
    let server = rt.block_on(CannedServer::start());
    let client = wooshpay_client(&server);
    let id = RefundId::new("re_3MtwBwLkdIwHu7ix0snN0B15").unwrap();
    runner()
        .run(&(status(), body(wooshpay_refund())), |(status, body)| {
            server.set(Route::Read, Canned { status, body });
            if let Ok(refund) = rt.block_on(client.get_refund(&id)) {
                prop_assert_eq!(refund.id, id.clone());
            }
            Ok(())
        })
        .unwrap();
}

/// A token answer of any shape — `expired_at` at the calendar's edges
/// included — never panics, neither when it arrives nor when the stored
/// token is used again.
#[test]
fn uqpay_token_answers_never_panic() {
    let rt = runtime();
    let server = rt.block_on(CannedServer::start());
    server.set(Route::Read, Canned::json(200, &uqpay_refund()));
    let id = RefundId::new("RF2043629695899013120").unwrap();
    let edges = prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        Just(-377_705_116_800i64), // year -9999
        Just(253_402_300_799i64),  // year 9999
        Just(0i64),
        any::<i64>(),
    ]
    .prop_map(|expired_at| {
        json!({"auth_token": "eyJ.edge", "expired_at": expired_at})
            .to_string()
            .into_bytes()
    });
    let strategy = (status(), prop_oneof![body(uqpay_token()), edges]);
    runner()
        .run(&strategy, |(status, body)| {
            server.set(Route::Token, Canned { status, body });
            let client = uqpay_client(&server);
            for _ in 0..2 {
                let _ = rt.block_on(client.get_refund(&id));
            }
            Ok(())
        })
        .unwrap();
}
