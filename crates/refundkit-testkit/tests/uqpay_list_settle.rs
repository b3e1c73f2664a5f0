//! The UQPay simulator's list endpoint and refund settlement over raw HTTP.

mod common;

use std::time::Duration;

use common::{money, new_key, send, uqpay, uqpay_create, uqpay_token};
use refundkit_testkit::{PaymentSeed, SettleMode, Simulator};
use reqwest::Method;
use serde_json::json;

fn body(payment: &str, amount: &str) -> serde_json::Value {
    json!({"payment_intent_id": payment, "amount": amount, "reason": "Return good"})
}

#[tokio::test]
async fn list_pages_and_filters_refunds() {
    let sim = Simulator::start().await.unwrap();
    let seed = PaymentSeed::captured(money("100.00", "USD")).merchant_order_id("order-7");
    let payment = sim.uqpay().seed_payment(seed);
    let other = sim.uqpay().seed_captured(money("100.00", "USD"));
    let token = uqpay_token(&sim).await;
    for _ in 0..3 {
        send(uqpay_create(
            &sim,
            &token,
            &new_key(),
            body(&payment, "1.00"),
        ))
        .await;
    }
    send(uqpay_create(&sim, &token, &new_key(), body(&other, "1.00"))).await;
    let list = |query: String| {
        send(uqpay(
            &sim,
            &token,
            Method::GET,
            &format!("/v2/payment/refunds?{query}"),
        ))
    };
    let page = list(format!(
        "page_number=2&page_size=2&payment_intent_id={payment}"
    ))
    .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.json["total_items"], 3);
    assert_eq!(page.json["total_pages"], 2);
    assert_eq!(page.json["data"].as_array().unwrap().len(), 1);
    let by_order = list("page_number=1&page_size=10&merchant_order_id=order-7".into()).await;
    assert_eq!(by_order.json["total_items"], 3);
    let all = list("page_number=1&page_size=100".into()).await;
    assert_eq!(all.json["total_items"], 4);
    let missing = list("page_number=1".into()).await;
    assert_eq!(
        (missing.status, missing.json["code"].as_str()),
        (400, Some("invalid_parameter"))
    );
}

#[tokio::test]
async fn pending_refunds_settle_after_reads_and_failing_payments_fail() {
    let sim = Simulator::builder()
        .settle_mode(SettleMode::AfterReads(1))
        .start()
        .await
        .unwrap();
    let payment = sim
        .uqpay()
        .seed_payment(PaymentSeed::captured(money("10.00", "USD")).failing_refunds());
    let token = uqpay_token(&sim).await;
    let created = send(uqpay_create(
        &sim,
        &token,
        &new_key(),
        body(&payment, "10.00"),
    ))
    .await;
    assert_eq!(created.json["refund_status"], "INITIATED");
    let path = format!(
        "/v2/payment/refunds/{}",
        created.json["payment_refund_id"].as_str().unwrap()
    );
    let first = send(uqpay(&sim, &token, Method::GET, &path)).await;
    assert_eq!(first.json["refund_status"], "INITIATED");
    let second = send(uqpay(&sim, &token, Method::GET, &path)).await;
    assert_eq!(second.json["refund_status"], "FAILED");
    // A failed refund gives its amount back.
    assert_eq!(
        send(uqpay_create(
            &sim,
            &token,
            &new_key(),
            body(&payment, "10.00")
        ))
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn refunds_settle_after_a_delay() {
    let sim = Simulator::start().await.unwrap();
    sim.uqpay()
        .set_settle_mode(SettleMode::AfterDelay(Duration::from_millis(300)));
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    let token = uqpay_token(&sim).await;
    let created = send(uqpay_create(
        &sim,
        &token,
        &new_key(),
        body(&payment, "1.00"),
    ))
    .await;
    let path = format!(
        "/v2/payment/refunds/{}",
        created.json["payment_refund_id"].as_str().unwrap()
    );
    assert_eq!(
        send(uqpay(&sim, &token, Method::GET, &path)).await.json["refund_status"],
        "INITIATED"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        send(uqpay(&sim, &token, Method::GET, &path)).await.json["refund_status"],
        "SUCCEEDED"
    );
}
