//! The WooshPay simulator over raw HTTP: documented statuses and bodies.

mod common;

use common::{basic, money, new_key, send, wooshpay, wooshpay_create};
use refundkit_testkit::{PaymentSeed, PaymentStatus, SettleMode, Simulator};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn basic_auth_needs_the_secret_key_and_refuses_publishable_keys() {
    let sim = Simulator::start().await.unwrap();
    let url = format!("{}/v1/refunds/re_1", sim.wooshpay_base_url());
    for authorization in [
        None,
        Some(basic("pk_test_abc")),
        Some(basic("sk_test_wrong")),
        Some("Bearer sk_test_simulator".to_string()),
    ] {
        let mut request = common::client().get(&url);
        if let Some(value) = &authorization {
            request = request.header("authorization", value);
        }
        let answer = send(request).await;
        assert_eq!(answer.status, 401, "{authorization:?}");
        assert_eq!(answer.json["error"]["type"], "invalid_request_error");
        assert_eq!(answer.json["error"]["code"], "invalid_api_key");
        assert!(!answer.text.contains("sk_test_wrong"), "{}", answer.text);
    }
    let authorized = send(
        common::client()
            .get(&url)
            .header("authorization", basic("sk_test_simulator")),
    )
    .await;
    assert_eq!(authorized.status, 404);
}

#[tokio::test]
async fn create_answers_a_refund_object_in_minor_units() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.wooshpay().seed_captured(money("100.00", "USD"));
    assert!(
        payment.starts_with("pi_") && payment.len() == 22,
        "{payment}"
    );
    let answer = send(wooshpay_create(
        &sim,
        Some(&new_key()),
        json!({"payment_intent": payment, "amount": 1001, "reason": "requested_by_customer", "metadata": {"order_id": "order_6789"}}),
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let refund = &answer.json;
    let id = refund["id"].as_str().unwrap();
    assert!(id.starts_with("re_") && id.len() == 22, "{id}");
    assert_eq!(refund["object"], "refund");
    assert_eq!(refund["amount"], 1001);
    assert_eq!(refund["currency"], "usd");
    assert_eq!(refund["payment_intent"], payment.as_str());
    assert_eq!(refund["reason"], "requested_by_customer");
    assert_eq!(refund["status"], "succeeded");
    assert_eq!(refund["failure_reason"], serde_json::Value::Null);
    assert_eq!(refund["metadata"], json!({"order_id": "order_6789"}));
    assert!(refund["created"].as_i64().unwrap() > 1_700_000_000);
    let read = send(wooshpay(&sim, Method::GET, &format!("/v1/refunds/{id}"))).await;
    assert_eq!(read.json, answer.json);
}

#[tokio::test]
async fn omitted_amount_refunds_what_remains_then_already_refunded() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.wooshpay().seed_captured(money("10.00", "EUR"));
    send(wooshpay_create(
        &sim,
        None,
        json!({"payment_intent": payment, "amount": 300}),
    ))
    .await;
    let rest = send(wooshpay_create(
        &sim,
        None,
        json!({"payment_intent": payment}),
    ))
    .await;
    assert_eq!(rest.json["amount"], 700);
    let again = send(wooshpay_create(
        &sim,
        None,
        json!({"payment_intent": payment, "amount": 1}),
    ))
    .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.json["error"]["code"], "charge_already_refunded");
}

#[tokio::test]
async fn refunding_more_than_remains_is_amount_too_large() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.wooshpay().seed_captured(money("10.00", "USD"));
    let answer = send(wooshpay_create(
        &sim,
        None,
        json!({"payment_intent": payment, "amount": 1001}),
    ))
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json["error"]["type"], "invalid_request_error");
    assert_eq!(answer.json["error"]["code"], "amount_too_large");
    assert_eq!(answer.json["error"]["param"], "amount");
    assert_eq!(sim.wooshpay().refund_count(), 0);
}

#[tokio::test]
async fn unknown_refund_is_404_and_unknown_payment_intent_is_400() {
    let sim = Simulator::start().await.unwrap();
    let refund = send(wooshpay(&sim, Method::GET, "/v1/refunds/re_404")).await;
    assert_eq!(refund.status, 404);
    assert_eq!(refund.json["error"]["code"], "resource_missing");
    let payment = send(wooshpay_create(
        &sim,
        None,
        json!({"payment_intent": "pi_404", "amount": 1}),
    ))
    .await;
    assert_eq!(payment.status, 400);
    assert_eq!(payment.json["error"]["code"], "resource_missing");
    assert_eq!(payment.json["error"]["param"], "payment_intent");
}

#[tokio::test]
async fn payment_that_is_not_succeeded_cannot_be_refunded() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim
        .wooshpay()
        .seed_payment(PaymentSeed::captured(money("5.00", "USD")).status(PaymentStatus::Canceled));
    let answer = send(wooshpay_create(
        &sim,
        None,
        json!({"payment_intent": payment}),
    ))
    .await;
    assert_eq!(answer.status, 402);
    assert_eq!(answer.json["error"]["code"], "refund_failed");
}

#[tokio::test]
async fn body_validation_follows_stripe_codes() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.wooshpay().seed_captured(money("10.00", "USD"));
    let cases = [
        (
            json!({"payment_intent": payment, "amount": "100"}),
            "parameter_invalid_integer",
        ),
        (
            json!({"payment_intent": payment, "amount": 10.5}),
            "parameter_invalid_integer",
        ),
        (
            json!({"payment_intent": payment, "amount": 0}),
            "parameter_invalid_integer",
        ),
        (
            json!({"payment_intent": payment, "amount": -5}),
            "parameter_invalid_integer",
        ),
        (
            json!({"payment_intent": payment, "reason": "requested_by_merchant"}),
            "invalid_request",
        ),
        (
            json!({"payment_intent": payment, "reason": "expired_uncaptured_charge"}),
            "invalid_request",
        ),
        (json!({"amount": 100}), "invalid_request"),
    ];
    for (request, code) in cases {
        let answer = send(wooshpay_create(&sim, None, request.clone())).await;
        assert_eq!(answer.status, 400, "{request}");
        assert_eq!(answer.json["error"]["code"], code, "{request}");
    }
    assert_eq!(sim.wooshpay().refund_count(), 0);
}

#[tokio::test]
async fn zero_decimal_currencies_count_whole_units() {
    let sim = Simulator::start().await.unwrap();
    let jpy = sim.wooshpay().seed_captured(money("1000", "JPY"));
    let kwd = sim.wooshpay().seed_captured(money("10", "KWD"));
    let yen = send(wooshpay_create(
        &sim,
        None,
        json!({"payment_intent": jpy, "amount": 500}),
    ))
    .await;
    assert_eq!(
        (yen.json["amount"].as_i64(), yen.json["currency"].as_str()),
        (Some(500), Some("jpy"))
    );
    assert_eq!(
        sim.wooshpay().refunds_for(&jpy)[0].amount,
        money("500", "JPY")
    );
    let over = send(wooshpay_create(
        &sim,
        None,
        json!({"payment_intent": jpy, "amount": 501}),
    ))
    .await;
    assert_eq!(over.json["error"]["code"], "amount_too_large");
    let dinar = send(wooshpay_create(
        &sim,
        None,
        json!({"payment_intent": kwd, "amount": 1005}),
    ))
    .await;
    assert_eq!(dinar.json["amount"], 1005);
    assert_eq!(
        sim.wooshpay().refunds_for(&kwd)[0].amount,
        money("1.005", "KWD")
    );
}

#[tokio::test]
async fn idempotency_key_replays_and_refuses_other_parameters_with_409() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.wooshpay().seed_captured(money("10.00", "USD"));
    let key = new_key();
    let body = json!({"payment_intent": payment, "amount": 200});
    let first = send(wooshpay_create(&sim, Some(&key), body.clone())).await;
    let again = send(wooshpay_create(&sim, Some(&key), body)).await;
    assert_eq!((again.status, &again.text), (first.status, &first.text));
    let other = send(wooshpay_create(
        &sim,
        Some(&key),
        json!({"payment_intent": payment, "amount": 300}),
    ))
    .await;
    assert_eq!(other.status, 409);
    assert_eq!(other.json["error"]["type"], "idempotency_error");
    assert_eq!(other.json["error"]["code"], "idempotency_key_reused");
    assert_eq!(sim.wooshpay().refund_count(), 1);
}

#[tokio::test]
async fn failing_payment_settles_refunds_failed_with_unknown_reason() {
    let sim = Simulator::start().await.unwrap();
    sim.wooshpay().set_settle_mode(SettleMode::AfterReads(0));
    let payment = sim.wooshpay().seed_captured(money("10.00", "USD"));
    assert!(sim.wooshpay().fail_refunds(&payment, true));
    let created = send(wooshpay_create(
        &sim,
        None,
        json!({"payment_intent": payment}),
    ))
    .await;
    assert_eq!(created.json["status"], "pending");
    let id = created.json["id"].as_str().unwrap();
    let read = send(wooshpay(&sim, Method::GET, &format!("/v1/refunds/{id}"))).await;
    assert_eq!(read.json["status"], "failed");
    assert_eq!(read.json["failure_reason"], "unknown");
}

#[tokio::test]
async fn undocumented_endpoints_are_unrecognized() {
    // The refund list (`GET /v1/refunds`) is an assumption built in (see
    // below); anything else WooshPay does not document is unrecognized.
    let sim = Simulator::start().await.unwrap();
    for (method, path) in [
        (Method::GET, "/v1/charges"),
        (Method::POST, "/v1/refunds/re_1/cancel"),
        (Method::DELETE, "/v1/refunds"),
    ] {
        let answer = send(wooshpay(&sim, method.clone(), path)).await;
        assert_eq!(answer.status, 404, "{method} {path}");
        assert_eq!(answer.json["error"]["type"], "invalid_request_error");
    }
}

#[tokio::test]
async fn list_refunds_pages_a_payment_newest_first_with_a_cursor() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.wooshpay().seed_captured(money("100.00", "USD"));
    let other = sim.wooshpay().seed_captured(money("100.00", "USD"));
    let mut ids = Vec::new();
    for amount in 1..=5 {
        let created = send(wooshpay_create(
            &sim,
            Some(&new_key()),
            json!({"payment_intent": payment, "amount": amount * 100}),
        ))
        .await;
        ids.push(created.json["id"].as_str().unwrap().to_string());
    }
    send(wooshpay_create(
        &sim,
        None,
        json!({"payment_intent": other, "amount": 100}),
    ))
    .await;
    ids.reverse(); // newest first
    let list = |query: String| send(wooshpay(&sim, Method::GET, &format!("/v1/refunds?{query}")));
    let page_ids = |page: &common::Answer| -> Vec<String> {
        page.json["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };

    let first = list(format!("payment_intent={payment}&limit=2")).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json["object"], "list");
    assert_eq!(first.json["url"], "/v1/refunds");
    assert_eq!(first.json["has_more"], true);
    assert_eq!(page_ids(&first), ids[..2]);
    assert_eq!(first.json["data"][0]["object"], "refund");
    assert_eq!(first.json["data"][0]["payment_intent"], payment.as_str());
    let second = list(format!(
        "payment_intent={payment}&limit=2&starting_after={}",
        ids[1]
    ))
    .await;
    assert_eq!(page_ids(&second), ids[2..4]);
    assert_eq!(second.json["has_more"], true);
    let last = list(format!(
        "payment_intent={payment}&limit=2&starting_after={}",
        ids[3]
    ))
    .await;
    assert_eq!(page_ids(&last), ids[4..]);
    assert_eq!(last.json["has_more"], false);
    let back = list(format!(
        "payment_intent={payment}&limit=2&ending_before={}",
        ids[4]
    ))
    .await;
    assert_eq!(page_ids(&back), ids[2..4]);
    assert_eq!(back.json["has_more"], true);

    // Default limit 10, everything of the payment and nothing of another.
    let all = list(format!("payment_intent={payment}")).await;
    assert_eq!(page_ids(&all), ids);
    assert_eq!(all.json["has_more"], false);
    let everything = list("limit=100".into()).await;
    assert_eq!(everything.json["data"].as_array().unwrap().len(), 6);
    // Listing is not a read: nothing settles or counts.
    assert!(sim.wooshpay().refunds().iter().all(|r| r.reads == 0));
}

#[tokio::test]
async fn list_refunds_refuses_bad_limits_cursors_and_payments() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.wooshpay().seed_captured(money("10.00", "USD"));
    let list = |query: &str| send(wooshpay(&sim, Method::GET, &format!("/v1/refunds?{query}")));
    for limit in ["0", "101", "ten"] {
        let answer = list(&format!("payment_intent={payment}&limit={limit}")).await;
        assert_eq!(answer.status, 400, "{limit}");
        assert_eq!(answer.json["error"]["code"], "parameter_invalid_integer");
        assert_eq!(answer.json["error"]["param"], "limit");
    }
    let cursor = list(&format!(
        "payment_intent={payment}&starting_after=re_0000000000000000000"
    ))
    .await;
    assert_eq!(cursor.status, 400);
    assert_eq!(cursor.json["error"]["code"], "resource_missing");
    assert_eq!(cursor.json["error"]["param"], "starting_after");
    let unknown = list("payment_intent=pi_0000000000000000000").await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json["error"]["code"], "resource_missing");
    assert_eq!(unknown.json["error"]["param"], "payment_intent");
    let both = list("starting_after=re_1&ending_before=re_2").await;
    assert_eq!(both.status, 400);
    let extra = list("charge=ch_1").await;
    assert_eq!(extra.json["error"]["code"], "parameter_unknown");
    let empty = list(&format!("payment_intent={payment}")).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.json["data"], json!([]));
    assert_eq!(empty.json["has_more"], false);
    let unauthorized = send(common::client().get(format!(
        "{}/v1/refunds?payment_intent={payment}",
        sim.wooshpay_base_url()
    )))
    .await;
    assert_eq!(unauthorized.status, 401);
}
