//! The `refundkit-sim` binary as a process.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_its_urls_and_masked_credentials_and_serves_seeded_payments() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_refundkit-sim"))
        .args([
            "--uqpay-api-key",
            "very-secret-key",
            "--payment",
            "uqpay:PI123:USD:100.00",
            "--payment",
            "wooshpay::JPY:5000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Killed(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut next = || lines.next().unwrap().unwrap();
    let uqpay = next();
    let wooshpay = next();
    let uqpay_url = uqpay.strip_prefix("uqpay ").unwrap();
    assert!(
        uqpay_url.starts_with("http://127.0.0.1:") && uqpay_url.ends_with("/api"),
        "{uqpay}"
    );
    assert!(
        wooshpay.starts_with("wooshpay http://127.0.0.1:"),
        "{wooshpay}"
    );
    let credentials = [next(), next()].join("\n");
    assert!(
        credentials.contains("client_id=sim-client"),
        "{credentials}"
    );
    assert!(
        credentials.contains("secret_key=sk_test_****"),
        "{credentials}"
    );
    assert!(!credentials.contains("very-secret-key") && !credentials.contains("sk_test_simulator"));
    assert_eq!(next(), "payment uqpay PI123 USD 100");
    assert!(next().starts_with("payment wooshpay pi_"));

    let http = reqwest::Client::new();
    let token: serde_json::Value = serde_json::from_slice(
        &http
            .post(format!("{uqpay_url}/v1/connect/token"))
            .header("x-client-id", "sim-client")
            .header("x-api-key", "very-secret-key")
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    let intent = http
        .get(format!("{uqpay_url}/v2/payment_intents/PI123"))
        .header(
            "x-auth-token",
            format!("Bearer {}", token["auth_token"].as_str().unwrap()),
        )
        .header("x-client-id", "sim-client")
        .send()
        .await
        .unwrap();
    assert_eq!(intent.status(), 200);
    let intent: serde_json::Value = serde_json::from_slice(&intent.bytes().await.unwrap()).unwrap();
    assert_eq!(intent["amount"], "100.00");
    drop(child);
}

#[test]
fn binary_refuses_a_malformed_payment_flag() {
    let output = Command::new(env!("CARGO_BIN_EXE_refundkit-sim"))
        .args(["--payment", "uqpay:PI1:USD"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("PROVIDER:ID:CURRENCY:AMOUNT"));
}

#[test]
fn binary_takes_an_idempotency_window_and_refuses_a_malformed_one() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_refundkit-sim"))
        .args(["--idempotency-window-ms", "1500"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Killed(child);
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(5)
        .map(Result::unwrap)
        .collect();
    assert_eq!(lines[4], "idempotency_window_ms 1500", "{lines:?}");
    drop(child);
    let output = Command::new(env!("CARGO_BIN_EXE_refundkit-sim"))
        .args(["--idempotency-window-ms", "soon"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--idempotency-window-ms"));
}

#[tokio::test]
async fn binary_answers_a_superseded_token_with_the_chosen_wording() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_refundkit-sim"))
        .args(["--uqpay-superseded-answer", "token-has-expired"])
        .args(["--payment", "uqpay:PI7:USD:10.00"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _child = Killed(child);
    let first_line = BufReader::new(stdout).lines().next().unwrap().unwrap();
    let uqpay_url = first_line.strip_prefix("uqpay ").unwrap().to_string();
    let http = reqwest::Client::new();
    let mint = || async {
        let answer: serde_json::Value = serde_json::from_slice(
            &http
                .post(format!("{uqpay_url}/v1/connect/token"))
                .header("x-client-id", "sim-client")
                .header("x-api-key", "sim-api-key")
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        answer["auth_token"].as_str().unwrap().to_string()
    };
    let first = mint().await;
    let _second = mint().await;
    let stale = http
        .get(format!("{uqpay_url}/v2/payment_intents/PI7"))
        .header("x-auth-token", format!("Bearer {first}"))
        .header("x-client-id", "sim-client")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 401);
    let body: serde_json::Value = serde_json::from_slice(&stale.bytes().await.unwrap()).unwrap();
    assert_eq!(body["message"], "token has expired");
}
