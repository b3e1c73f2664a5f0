//! The simulators' idempotency window and stored metadata over raw HTTP:
//! within the window a key replays its first answer; after it the provider
//! has forgotten the key and the same key makes a new refund. Every refund
//! keeps its metadata as sent, in every answer that renders it.

mod common;

use std::time::Duration;

use common::{money, new_key, send, uqpay, uqpay_create, uqpay_token, wooshpay, wooshpay_create};
use refundkit_testkit::{Simulator, DEFAULT_IDEMPOTENCY_WINDOW};
use reqwest::Method;
use serde_json::json;

/// Short enough to wait out, long enough for a replay inside it even on a
/// busy machine.
const WINDOW: Duration = Duration::from_secs(1);

fn past_the_window() -> Duration {
    WINDOW + Duration::from_millis(200)
}

fn stamped() -> serde_json::Value {
    json!({"order_id": "order_6789", "refundkit_idempotency_key": new_key(), "refundkit_reference": "order-6789/refund-1"})
}

#[tokio::test]
async fn the_window_defaults_to_24_hours_and_can_be_changed_per_provider() {
    let sim = Simulator::start().await.unwrap();
    assert_eq!(DEFAULT_IDEMPOTENCY_WINDOW, Duration::from_secs(86_400));
    assert_eq!(sim.uqpay().idempotency_window(), DEFAULT_IDEMPOTENCY_WINDOW);
    assert_eq!(
        sim.wooshpay().idempotency_window(),
        DEFAULT_IDEMPOTENCY_WINDOW
    );
    sim.wooshpay().set_idempotency_window(WINDOW);
    assert_eq!(sim.wooshpay().idempotency_window(), WINDOW);
    assert_eq!(sim.uqpay().idempotency_window(), DEFAULT_IDEMPOTENCY_WINDOW);
    let short = Simulator::builder()
        .idempotency_window(WINDOW)
        .start()
        .await
        .unwrap();
    assert_eq!(short.uqpay().idempotency_window(), WINDOW);
    assert_eq!(short.wooshpay().idempotency_window(), WINDOW);
}

#[tokio::test]
async fn uqpay_forgets_a_key_after_the_window_and_the_same_key_makes_a_new_refund() {
    let sim = Simulator::builder()
        .idempotency_window(WINDOW)
        .start()
        .await
        .unwrap();
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    let token = uqpay_token(&sim).await;
    let key = new_key();
    let body = json!({"payment_intent_id": payment, "amount": "4.00", "reason": "Return good", "metadata": stamped()});
    let first = send(uqpay_create(&sim, &token, &key, body.clone())).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let replay = send(uqpay_create(&sim, &token, &key, body.clone())).await;
    assert_eq!(replay.json, first.json, "replayed inside the window");
    let mut other = body.clone();
    other["amount"] = json!("1.00");
    let mismatch = send(uqpay_create(&sim, &token, &key, other.clone())).await;
    assert_eq!(mismatch.json["code"], "idempotency_key_mismatch");
    assert_eq!(sim.uqpay().refund_count_for(&payment), 1);

    tokio::time::sleep(past_the_window()).await;
    let again = send(uqpay_create(&sim, &token, &key, body.clone())).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_ne!(
        again.json["payment_refund_id"], first.json["payment_refund_id"],
        "a forgotten key makes a new refund"
    );
    assert_eq!(sim.uqpay().refund_count_for(&payment), 2);
    // The new use starts a new window: replayed again, and the old mismatch is gone.
    let replay = send(uqpay_create(&sim, &token, &key, body)).await;
    assert_eq!(replay.json, again.json);
    assert_eq!(sim.uqpay().refund_count_for(&payment), 2);
}

#[tokio::test]
async fn wooshpay_forgets_a_key_after_the_window_and_the_same_key_makes_a_new_refund() {
    let sim = Simulator::start().await.unwrap();
    sim.wooshpay().set_idempotency_window(WINDOW);
    let payment = sim.wooshpay().seed_captured(money("10.00", "USD"));
    let key = new_key();
    let body = json!({"payment_intent": payment, "amount": 400, "metadata": stamped()});
    let first = send(wooshpay_create(&sim, Some(&key), body.clone())).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let replay = send(wooshpay_create(&sim, Some(&key), body.clone())).await;
    assert_eq!(replay.json, first.json);
    assert_eq!(sim.wooshpay().refund_count_for(&payment), 1);

    tokio::time::sleep(past_the_window()).await;
    let again = send(wooshpay_create(&sim, Some(&key), body.clone())).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_ne!(again.json["id"], first.json["id"]);
    assert_eq!(sim.wooshpay().refund_count_for(&payment), 2);
    // With nothing left, a forgotten full refund is refused, not replayed.
    let full = json!({"payment_intent": payment, "metadata": stamped()});
    let key = new_key();
    let rest = send(wooshpay_create(&sim, Some(&key), full.clone())).await;
    assert_eq!(rest.json["amount"], 200);
    tokio::time::sleep(past_the_window()).await;
    let forgotten = send(wooshpay_create(&sim, Some(&key), full)).await;
    assert_eq!(forgotten.status, 400);
    assert_eq!(forgotten.json["error"]["code"], "charge_already_refunded");
    assert_eq!(sim.wooshpay().refund_count_for(&payment), 3);
}

#[tokio::test]
async fn uqpay_returns_the_metadata_as_sent_in_create_get_and_list() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    let token = uqpay_token(&sim).await;
    let metadata = stamped();
    let body = json!({"payment_intent_id": payment, "amount": "1.00", "reason": "Return good", "metadata": metadata});
    let created = send(uqpay_create(&sim, &token, &new_key(), body)).await;
    assert_eq!(created.json["metadata"], metadata);
    let id = created.json["payment_refund_id"].as_str().unwrap();
    let read = send(uqpay(
        &sim,
        &token,
        Method::GET,
        &format!("/v2/payment/refunds/{id}"),
    ))
    .await;
    assert_eq!(read.json["metadata"], metadata);
    let list = send(uqpay(
        &sim,
        &token,
        Method::GET,
        &format!("/v2/payment/refunds?page_number=1&page_size=10&payment_intent_id={payment}"),
    ))
    .await;
    assert_eq!(list.json["data"][0]["metadata"], metadata);
    let stored = sim.uqpay().refund(id).unwrap();
    assert_eq!(serde_json::Value::Object(stored.metadata), metadata);
}

#[tokio::test]
async fn wooshpay_returns_the_metadata_as_sent_in_create_get_and_list() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.wooshpay().seed_captured(money("10.00", "USD"));
    let metadata = stamped();
    let created = send(wooshpay_create(
        &sim,
        Some(&new_key()),
        json!({"payment_intent": payment, "amount": 100, "metadata": metadata}),
    ))
    .await;
    assert_eq!(created.json["metadata"], metadata);
    let id = created.json["id"].as_str().unwrap();
    let read = send(wooshpay(&sim, Method::GET, &format!("/v1/refunds/{id}"))).await;
    assert_eq!(read.json["metadata"], metadata);
    let list = send(wooshpay(
        &sim,
        Method::GET,
        &format!("/v1/refunds?payment_intent={payment}"),
    ))
    .await;
    assert_eq!(list.json["data"][0]["metadata"], metadata);
    let stored = sim.wooshpay().refund(id).unwrap();
    assert_eq!(serde_json::Value::Object(stored.metadata), metadata);
}
