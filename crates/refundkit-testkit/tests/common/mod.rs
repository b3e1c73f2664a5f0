//! Raw HTTP helpers for the simulator tests: no adapter, just reqwest.
#![allow(dead_code)]

pub mod mini_wooshpay;

use base64::Engine;
use refundkit_core::Money;
use refundkit_testkit::Simulator;
use serde_json::Value;

pub fn money(amount: &str, currency: &str) -> Money {
    Money::parse(amount, currency).unwrap()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// An answer: status, headers, body as JSON (`Null` when not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the simulator answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        text,
        json,
    }
}

pub async fn uqpay_token(sim: &Simulator) -> String {
    let answer = send(
        client()
            .post(format!("{}/v1/connect/token", sim.uqpay_base_url()))
            .header("x-client-id", sim.uqpay_client_id())
            .header("x-api-key", sim.uqpay_api_key()),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json["auth_token"].as_str().unwrap().to_string()
}

/// A UQPay request with `x-auth-token: Bearer <token>` and `x-client-id`.
pub fn uqpay(
    sim: &Simulator,
    token: &str,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    client()
        .request(method, format!("{}{path}", sim.uqpay_base_url()))
        .header("x-auth-token", format!("Bearer {token}"))
        .header("x-client-id", sim.uqpay_client_id())
}

/// A UQPay create with a fresh idempotency key unless `key` is given.
pub fn uqpay_create(
    sim: &Simulator,
    token: &str,
    key: &str,
    body: Value,
) -> reqwest::RequestBuilder {
    uqpay(sim, token, reqwest::Method::POST, "/v2/payment/refunds")
        .header("x-idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_string())
}

pub fn basic(secret_key: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{secret_key}:"));
    format!("Basic {encoded}")
}

/// A WooshPay request with Basic auth.
pub fn wooshpay(sim: &Simulator, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    client()
        .request(method, format!("{}{path}", sim.wooshpay_base_url()))
        .header("authorization", basic(sim.wooshpay_secret_key()))
}

pub fn wooshpay_create(sim: &Simulator, key: Option<&str>, body: Value) -> reqwest::RequestBuilder {
    let request = wooshpay(sim, reqwest::Method::POST, "/v1/refunds")
        .header("content-type", "application/json")
        .body(body.to_string());
    match key {
        Some(key) => request.header("idempotency-key", key),
        None => request,
    }
}

pub fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}
