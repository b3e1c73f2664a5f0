//! What an operator sees first: whole usage errors, shell completions, and
//! checking a stored webhook delivery at the time it arrived.

mod common;

use common::refundkit;
use refundkit_testkit::webhook::SignedWebhook;
use serde_json::Value;

fn stderr_error(output: &std::process::Output) -> Value {
    let text = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
    serde_json::from_str::<Value>(&text).unwrap()["error"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_usage_error_names_the_missing_arguments() {
    let output = refundkit(&[], &["create", "--provider", "uqpay"]).await;

    assert_eq!(output.status.code(), Some(2));
    let error = stderr_error(&output);
    assert_eq!(error["kind"], "usage");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("required arguments were not provided"),
        "{message}"
    );
    assert!(
        message.contains("--payment") && message.contains("--reason"),
        "{message}"
    );
    assert!(!message.starts_with("error:"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_are_printed_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef refundkit"),
        ("fish", "complete -c refundkit"),
    ] {
        let output = refundkit(&[], &["completions", shell]).await;
        assert!(
            output.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(
            script.contains(marker),
            "{shell}: {}",
            &script[..script.len().min(200)]
        );
        assert!(
            script.contains("recover"),
            "{shell} completes the subcommands"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_delivery_verifies_at_the_time_given_with_now() {
    let secret = "uqpay-webhook-secret-usage";
    let body = serde_json::json!({
        "event_name": "ACQUIRING", "event_type": "acquiring.refund.succeeded",
        "event_id": "evt-usage-1", "source_id": "RF2043629695899013120",
        "data": {
            "payment_refund_id": "RF2043629695899013120", "payment_attempt_id": "PA1",
            "amount": "10.01", "currency": "USD", "refund_status": "SUCCEEDED",
            "create_time": "2026-04-13T17:57:42+08:00", "update_time": "2026-04-13T17:57:42+08:00",
            "reason": "requested_by_customer", "metadata": {}
        }
    });
    let delivery = SignedWebhook::uqpay(secret, body.to_string().into_bytes(), "1776074262");
    let dir = std::env::temp_dir().join(format!("refundkit-usage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body_path = dir.join("body.json");
    std::fs::write(&body_path, delivery.body()).unwrap();
    let env = vec![("UQPAY_WEBHOOK_SECRET".to_string(), secret.to_string())];
    let headers: Vec<String> = delivery
        .headers()
        .iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect();
    let mut args = vec![
        "verify-webhook",
        "--provider",
        "uqpay",
        "--body",
        body_path.to_str().unwrap(),
    ];
    for header in &headers {
        args.extend(["--header", header.as_str()]);
    }

    let today = refundkit(&env, &args).await;
    let mut at_delivery = args.clone();
    at_delivery.extend(["--now", "2026-04-13T09:57:52Z"]);
    let then = refundkit(&env, &at_delivery).await;
    let mut unix = args.clone();
    unix.extend(["--now", "1776074270"]);
    let then_unix = refundkit(&env, &unix).await;
    let mut garbage = args.clone();
    garbage.extend(["--now", "yesterday"]);
    let bad = refundkit(&env, &garbage).await;

    assert_eq!(stderr_error(&today)["kind"], "webhook", "stale today");
    assert!(
        then.status.success(),
        "{}",
        String::from_utf8_lossy(&then.stderr)
    );
    assert!(
        then_unix.status.success(),
        "{}",
        String::from_utf8_lossy(&then_unix.stderr)
    );
    let event: Value = serde_json::from_slice(&then.stdout).unwrap();
    assert_eq!(event["event_id"], "evt-usage-1");
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr_error(&bad)["message"]
        .as_str()
        .unwrap()
        .contains("now"));
    std::fs::remove_dir_all(&dir).unwrap();
}
