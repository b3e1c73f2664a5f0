//! The UQPay simulator's refund and payment-intent endpoints over raw HTTP.

mod common;

use common::{money, new_key, send, uqpay, uqpay_create, uqpay_token};
use refundkit_testkit::{PaymentSeed, PaymentStatus, Simulator};
use reqwest::Method;
use serde_json::json;

fn body(payment: &str, amount: &str) -> serde_json::Value {
    json!({"payment_intent_id": payment, "amount": amount, "reason": "Return good"})
}

#[tokio::test]
async fn create_answers_the_documented_refund_object_without_payment_intent_id() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.uqpay().seed_captured(money("100.00", "USD"));
    let token = uqpay_token(&sim).await;
    let mut request = body(&payment, "10.01");
    request["metadata"] = json!({"order_id": "order_6789"});
    let answer = send(uqpay_create(&sim, &token, &new_key(), request)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let refund = answer.json.as_object().unwrap();
    let mut fields: Vec<_> = refund.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "amount",
            "create_time",
            "currency",
            "metadata",
            "payment_attempt_id",
            "payment_refund_id",
            "reason",
            "refund_status",
            "update_time"
        ]
    );
    let id = refund["payment_refund_id"].as_str().unwrap();
    assert!(id.starts_with("RF") && id.len() == 21, "{id}");
    assert_eq!(refund["amount"], "10.01");
    assert_eq!(refund["currency"], "USD");
    assert_eq!(refund["refund_status"], "SUCCEEDED");
    assert!(refund["create_time"].as_str().unwrap().ends_with("+08:00"));
    assert_eq!(refund["metadata"], json!({"order_id": "order_6789"}));
    let read = send(uqpay(
        &sim,
        &token,
        Method::GET,
        &format!("/v2/payment/refunds/{id}"),
    ))
    .await;
    assert_eq!(read.json, answer.json);
}

#[tokio::test]
async fn unknown_ids_are_not_found_as_http_400() {
    let sim = Simulator::start().await.unwrap();
    let token = uqpay_token(&sim).await;
    let refund = send(uqpay(
        &sim,
        &token,
        Method::GET,
        "/v2/payment/refunds/RF404",
    ))
    .await;
    assert_eq!(refund.status, 400);
    assert_eq!(
        refund.json,
        json!({"type":"not_found","code":"resource_not_found","message":"refund RF404 was not found"})
    );
    let payment = send(uqpay_create(
        &sim,
        &token,
        &new_key(),
        body("PI404", "1.00"),
    ))
    .await;
    assert_eq!(payment.status, 400);
    assert_eq!(payment.json["type"], "not_found");
    let intent = send(uqpay(
        &sim,
        &token,
        Method::GET,
        "/v2/payment_intents/PI404",
    ))
    .await;
    assert_eq!(
        (intent.status, intent.json["type"].as_str()),
        (400, Some("not_found"))
    );
}

#[tokio::test]
async fn payment_intent_reports_refunded_amount_on_its_latest_attempt() {
    let sim = Simulator::start().await.unwrap();
    let seed = PaymentSeed::captured(money("50.00", "SGD")).merchant_order_id("order-1");
    let payment = sim.uqpay().seed_payment(seed);
    let token = uqpay_token(&sim).await;
    send(uqpay_create(
        &sim,
        &token,
        &new_key(),
        body(&payment, "8.88"),
    ))
    .await;
    let intent = send(uqpay(
        &sim,
        &token,
        Method::GET,
        &format!("/v2/payment_intents/{payment}"),
    ))
    .await;
    assert_eq!(intent.status, 200);
    let json = intent.json;
    assert_eq!(json["payment_intent_id"], payment.as_str());
    assert_eq!(json["amount"], "50.00");
    assert_eq!(json["captured_amount"], "50.00");
    assert_eq!(json["intent_status"], "SUCCEEDED");
    assert_eq!(json["merchant_order_id"], "order-1");
    let attempt = &json["latest_payment_attempt"];
    assert!(attempt["attempt_id"].as_str().unwrap().starts_with("PA"));
    assert_eq!(attempt["refunded_amount"], "8.88");
}

#[tokio::test]
async fn partial_refunds_stop_at_the_captured_amount() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    let token = uqpay_token(&sim).await;
    assert_eq!(
        send(uqpay_create(
            &sim,
            &token,
            &new_key(),
            body(&payment, "6.00")
        ))
        .await
        .status,
        200
    );
    let over = send(uqpay_create(
        &sim,
        &token,
        &new_key(),
        body(&payment, "4.01"),
    ))
    .await;
    assert_eq!(over.status, 400);
    assert_eq!(
        over.json,
        json!({"type":"refund_error","code":"refund_amount_exceeds_available","message":"Refund amount exceeds the refundable amount"})
    );
    assert_eq!(
        send(uqpay_create(
            &sim,
            &token,
            &new_key(),
            body(&payment, "4.00")
        ))
        .await
        .status,
        200
    );
    assert_eq!(sim.uqpay().refund_count_for(&payment), 2);
}

#[tokio::test]
async fn only_succeeded_intents_are_refundable() {
    let sim = Simulator::start().await.unwrap();
    let seed = PaymentSeed::captured(money("10.00", "USD")).status(PaymentStatus::RequiresCapture);
    let payment = sim.uqpay().seed_payment(seed);
    let token = uqpay_token(&sim).await;
    let answer = send(uqpay_create(
        &sim,
        &token,
        &new_key(),
        body(&payment, "1.00"),
    ))
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json["type"], "payment_error");
    assert_eq!(answer.json["code"], "payment_intent_not_refundable");
}

#[tokio::test]
async fn body_limits_are_enforced_with_invalid_parameter() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    let token = uqpay_token(&sim).await;
    let cases = [
        (
            json!({"payment_intent_id": payment, "amount": 1.5, "reason": "r"}),
            "amount",
        ),
        (
            json!({"payment_intent_id": payment, "amount": "-1", "reason": "r"}),
            "amount",
        ),
        (
            json!({"payment_intent_id": payment, "amount": "0", "reason": "r"}),
            "amount",
        ),
        (
            json!({"payment_intent_id": payment, "amount": "1e2", "reason": "r"}),
            "amount",
        ),
        (
            json!({"payment_intent_id": payment, "amount": "1.001", "reason": "r"}),
            "amount",
        ),
        (
            json!({"payment_intent_id": payment, "amount": "1.00"}),
            "reason",
        ),
        (
            json!({"payment_intent_id": payment, "amount": "1.00", "reason": "x".repeat(101)}),
            "reason",
        ),
        (
            json!({"payment_intent_id": "P".repeat(37), "amount": "1.00", "reason": "r"}),
            "payment_intent_id",
        ),
    ];
    for (request, field) in cases {
        let answer = send(uqpay_create(&sim, &token, &new_key(), request.clone())).await;
        assert_eq!(answer.status, 400, "{request}");
        assert_eq!(answer.json["type"], "invalid_request_error", "{request}");
        assert_eq!(answer.json["code"], "invalid_parameter", "{request}");
        let message = answer.json["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("{field}: ")), "{message}");
    }
    let ok = json!({"payment_intent_id": payment, "amount": "1.00", "reason": "x".repeat(100)});
    assert_eq!(
        send(uqpay_create(&sim, &token, &new_key(), ok))
            .await
            .status,
        200
    );
    assert_eq!(sim.uqpay().refund_count(), 1);
}

#[tokio::test]
async fn amount_digits_follow_the_currency_jpy_none_kwd_three() {
    let sim = Simulator::start().await.unwrap();
    let jpy = sim.uqpay().seed_captured(money("10000", "JPY"));
    let kwd = sim.uqpay().seed_captured(money("10.000", "KWD"));
    let token = uqpay_token(&sim).await;
    let status = |payment: &str, amount: &str| {
        let request = uqpay_create(&sim, &token, &new_key(), body(payment, amount));
        async move { send(request).await.status }
    };
    assert_eq!(status(&jpy, "100.5").await, 400);
    assert_eq!(status(&jpy, "100.0").await, 400);
    assert_eq!(status(&jpy, "100").await, 200);
    assert_eq!(status(&kwd, "1.0005").await, 400);
    assert_eq!(status(&kwd, "1.005").await, 200);
    let refund = &sim.uqpay().refunds_for(&kwd)[0];
    assert_eq!(refund.amount, money("1.005", "KWD"));
}

#[tokio::test]
async fn idempotency_key_must_be_a_uuid_and_on_behalf_of_too() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    let token = uqpay_token(&sim).await;
    let bad_key = send(uqpay_create(
        &sim,
        &token,
        "not-a-uuid",
        body(&payment, "1.00"),
    ))
    .await;
    assert_eq!(bad_key.status, 400);
    assert_eq!(bad_key.json["type"], "idempotency_error");
    assert_eq!(bad_key.json["code"], "invalid_idempotency_key");
    let bad_account = send(
        uqpay_create(&sim, &token, &new_key(), body(&payment, "1.00"))
            .header("x-on-behalf-of", "acct-1"),
    )
    .await;
    assert_eq!(bad_account.status, 400);
    assert_eq!(bad_account.json["code"], "sub_account_not_found");
    let sub_account = send(
        uqpay_create(&sim, &token, &new_key(), body(&payment, "1.00"))
            .header("x-on-behalf-of", new_key()),
    )
    .await;
    assert_eq!(sub_account.status, 200);
}

#[tokio::test]
async fn same_key_replays_and_a_different_body_is_an_idempotency_error() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    let token = uqpay_token(&sim).await;
    let key = new_key();
    let first = send(uqpay_create(&sim, &token, &key, body(&payment, "2.00"))).await;
    let again = send(uqpay_create(&sim, &token, &key, body(&payment, "2.00"))).await;
    assert_eq!((again.status, &again.text), (first.status, &first.text));
    let other = send(uqpay_create(&sim, &token, &key, body(&payment, "3.00"))).await;
    assert_eq!(other.status, 400);
    assert_eq!(
        other.json,
        json!({"type":"idempotency_error","code":"idempotency_key_mismatch","message":"Idempotency key mismatched with the original request"})
    );
    assert_eq!(sim.uqpay().refund_count(), 1);
}
