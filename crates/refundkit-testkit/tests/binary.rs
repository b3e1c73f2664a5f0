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

/// Lines of the binary's stdout up to and including the `export` line.
fn lines_until_export(stdout: std::process::ChildStdout) -> Vec<String> {
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let last = line.starts_with("export ");
        lines.push(line);
        if last {
            break;
        }
    }
    lines
}

#[tokio::test]
async fn binary_applies_a_fault_script_from_the_command_line_and_prints_an_export_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_refundkit-sim"))
        .args(["--payment", "uqpay:PI8:USD:10.00"])
        .args(["--fault", "uqpay:get_payment:2:server_error:503"])
        .args(["--fault", "get_refund:every:html"])
        .args(["--settle", "pending:2reads:failed"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _child = Killed(child);
    let lines = lines_until_export(stdout);
    assert_eq!(lines[4], "payment uqpay PI8 USD 10", "{lines:?}");
    assert_eq!(
        &lines[5..9],
        [
            "fault uqpay get_payment call 2: HTTP 503",
            "fault uqpay get_refund every call: HTML page (HTTP 502)",
            "fault wooshpay get_refund every call: HTML page (HTTP 502)",
            "settle pending:2reads:failed",
        ],
        "{lines:?}"
    );
    let export = lines.last().unwrap();
    let vars: std::collections::HashMap<&str, &str> = export
        .strip_prefix("export ")
        .unwrap()
        .split(' ')
        .map(|pair| pair.split_once('=').unwrap())
        .collect();
    assert_eq!(vars["UQPAY_CLIENT_ID"], "sim-client");
    assert_eq!(vars["UQPAY_API_KEY"], "sim-api-key");
    assert_eq!(vars["WOOSHPAY_SECRET_KEY"], "sk_test_simulator");
    assert!(vars["WOOSHPAY_BASE_URL"].starts_with("http://127.0.0.1:"));
    let uqpay_url = vars["UQPAY_BASE_URL"].to_string();
    assert_eq!(lines[0], format!("uqpay {uqpay_url}"));

    let http = reqwest::Client::new();
    let token: serde_json::Value = serde_json::from_slice(
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
    let token = token["auth_token"].as_str().unwrap().to_string();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let answer = http
            .get(format!("{uqpay_url}/v2/payment_intents/PI8"))
            .header("x-auth-token", format!("Bearer {token}"))
            .header("x-client-id", "sim-client")
            .send()
            .await
            .unwrap();
        statuses.push(answer.status().as_u16());
    }
    assert_eq!(
        statuses,
        [200, 503, 200],
        "the second call fails, as scripted"
    );
}

/// The `payment PROVIDER ID CURRENCY AMOUNT` line's id for `provider`.
fn seeded_payment<'a>(lines: &'a [String], provider: &str) -> &'a str {
    lines
        .iter()
        .find_map(|line| line.strip_prefix(&format!("payment {provider} ")))
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
}

#[tokio::test]
async fn binary_settles_refunds_pending_then_reversed_as_each_provider_reports_it() {
    use refundkit::uqpay::{UqPayClient, UqPayConfig};
    use refundkit::wooshpay::{WooshPayClient, WooshPayConfig};
    use refundkit::{
        Money, RefundAmount, RefundProvider, RefundReason, RefundRequest, RefundStatus,
        SecretString,
    };

    let mut child = Command::new(env!("CARGO_BIN_EXE_refundkit-sim"))
        .args([
            "--payment",
            "uqpay::USD:10.00",
            "--payment",
            "wooshpay::USD:10.00",
        ])
        .args(["--settle", "pending:1reads:reversed"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _child = Killed(child);
    let lines = lines_until_export(stdout);
    assert!(
        lines.contains(&"settle pending:1reads:reversed".to_string()),
        "{lines:?}"
    );
    let url = |provider: &str| {
        lines
            .iter()
            .find_map(|line| line.strip_prefix(&format!("{provider} ")))
            .unwrap()
            .to_string()
    };
    let uqpay = UqPayConfig::builder("sim-client", SecretString::from("sim-api-key"))
        .base_url(&url("uqpay"))
        .build()
        .unwrap();
    let wooshpay = WooshPayConfig::builder(SecretString::from("sk_test_simulator"))
        .base_url(&url("wooshpay"))
        .build()
        .unwrap();
    let providers: [(Box<dyn RefundProvider>, &str, RefundStatus); 2] = [
        // UQPay's REVERSAL_SUCCEEDED.
        (
            Box::new(UqPayClient::new(uqpay).unwrap()),
            "uqpay",
            RefundStatus::Reversed,
        ),
        // WooshPay has no reversal status: the refund reads as failed.
        (
            Box::new(WooshPayClient::new(wooshpay).unwrap()),
            "wooshpay",
            RefundStatus::Failed,
        ),
    ];
    for (client, name, reversed) in providers {
        let request = RefundRequest::builder(
            seeded_payment(&lines, name),
            RefundAmount::Partial(Money::parse("4.00", "USD").unwrap()),
            RefundReason::RequestedByCustomer,
        )
        .build()
        .unwrap();
        let created = client.create_refund(&request).await.unwrap();
        assert_eq!(created.status, RefundStatus::Pending, "{name}");
        let first = client.get_refund(&created.id).await.unwrap();
        assert_eq!(
            first.status,
            RefundStatus::Pending,
            "{name}: one read still pending"
        );
        let settled = client.get_refund(&created.id).await.unwrap();
        assert_eq!(settled.status, reversed, "{name}");
        assert!(settled.status.is_final(), "{name}");
    }
}

#[test]
fn binary_does_not_repeat_a_credential_given_on_the_command_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_refundkit-sim"))
        .args(["--uqpay-api-key", "very-secret-key"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _child = Killed(child);
    let lines = lines_until_export(stdout);
    let all = lines.join("\n");
    assert!(!all.contains("very-secret-key"), "{all}");
    assert!(
        lines
            .last()
            .unwrap()
            .contains("UQPAY_API_KEY=\"<the --uqpay-api-key you gave>\""),
        "{all}"
    );
}

#[test]
fn binary_refuses_malformed_fault_and_settle_flags_naming_them() {
    for (flag, value, says) in [
        ("--fault", "create_refund:0:html", "call number"),
        ("--fault", "refunds:1:html", "unknown route"),
        ("--fault", "create_refund:1:explode", "unknown fault"),
        ("--fault", "create_refund:1:server_error:404", "5xx"),
        ("--fault", "create_refund:1:slow_commit", "milliseconds"),
        ("--settle", "pending:soon", "WAIT"),
        ("--settle", "pending:5s:refunded", "reversed"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_refundkit-sim"))
            .args([flag, value])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(flag) && stderr.contains(says),
            "{flag} {value}: {stderr}"
        );
    }
}

#[test]
fn binary_help_lists_every_flag_it_takes() {
    let output = Command::new(env!("CARGO_BIN_EXE_refundkit-sim"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--uqpay-port",
        "--wooshpay-port",
        "--uqpay-client-id",
        "--uqpay-api-key",
        "--wooshpay-secret-key",
        "--uqpay-superseded-answer",
        "--payment",
        "--idempotency-window-ms",
        "--fault",
        "--settle",
    ] {
        assert!(help.contains(flag), "{flag} in --help: {help}");
    }
    assert!(help.contains("export"), "{help}");
    assert!(help.contains("succeeded|failed|reversed"), "{help}");
}
