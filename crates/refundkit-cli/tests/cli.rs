//! The `refundkit` binary run as a process against the testkit simulators:
//! every subcommand, every exit code, the JSON shapes of docs/json.md.

mod common;

use std::collections::BTreeSet;
use std::process::Output;

use common::refundkit;

use refundkit::Money;
use refundkit_testkit::{Calls, Fault, Route, SettleMode, Simulator};
use serde_json::Value;

const WEBHOOK_SECRET: &str = "uqpay-webhook-secret-example";

/// The variables that point the CLI at `sim`, with a UQPay webhook secret and
/// its token file in a cache directory of that simulator.
fn env_for(sim: &Simulator) -> Vec<(String, String)> {
    let mut env = common::env_for(sim);
    env.push(("UQPAY_WEBHOOK_SECRET".into(), WEBHOOK_SECRET.into()));
    env
}

fn stdout_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
    if text.contains("\"refund\"") || text.contains("\"refunds\"") {
        return serde_json::from_str(&text).unwrap();
    }
    assert!(text.starts_with("{\"ref\":"), "ref first: {text}");
    serde_json::from_str(&text).unwrap()
}

/// The exit code and the `error` object of the one JSON line on stderr.
fn failure(output: &Output) -> (i32, Value) {
    let text = String::from_utf8(output.stderr.clone()).unwrap();
    assert!(
        output.stdout.is_empty(),
        "stdout on failure: {:?}",
        output.stdout
    );
    assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
    let json: Value = serde_json::from_str(&text).unwrap();
    let error = json["error"].clone();
    let keys: BTreeSet<&str> = error
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["kind", "message", "retryable", "idempotency_key"])
    );
    (output.status.code().unwrap(), error)
}

/// `create`'s output: the refund shape plus the key it was made with and
/// the reference (and namespace) the key came from.
fn assert_created_shape(created: &Value, provider: &str) {
    let mut refund = created.clone();
    let object = refund.as_object_mut().unwrap();
    let key = object.remove("idempotency_key").unwrap();
    assert!(key.as_str().is_some_and(|key| key.len() == 36), "{created}");
    assert!(object.remove("reference").is_some(), "{created}");
    assert!(object.remove("namespace").is_some(), "{created}");
    assert_eq!(
        created["metadata"]["refundkit_idempotency_key"], key,
        "the key is stamped in the refund's metadata"
    );
    assert_refund_shape(&refund, provider);
}

/// The refund JSON shape of docs/json.md, exactly.
fn assert_refund_shape(refund: &Value, provider: &str) {
    let keys: BTreeSet<&str> = refund
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let documented = BTreeSet::from([
        "ref",
        "id",
        "provider",
        "payment_id",
        "amount",
        "status",
        "reason",
        "description",
        "failure",
        "metadata",
        "created_at",
        "updated_at",
    ]);
    assert_eq!(keys, documented);
    assert_eq!(refund["provider"], provider);
    assert_eq!(
        refund["ref"].as_str().unwrap(),
        format!("{provider}:{}", refund["id"].as_str().unwrap())
    );
    assert!(
        refund["amount"]["value"].is_string(),
        "amount is a decimal string: {refund}"
    );
    let created = refund["created_at"].as_str().unwrap();
    time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339).unwrap();
}

/// `create --provider P --payment ID` followed by `rest`.
fn create_args<'a>(provider: &'a str, payment: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["create", "--provider", provider, "--payment", payment];
    args.extend_from_slice(rest);
    args
}

/// Runs `create` and returns the refund it printed.
async fn create_ok(
    env: &[(String, String)],
    provider: &str,
    payment: &str,
    rest: &[&str],
) -> Value {
    stdout_json(&refundkit(env, &create_args(provider, payment, rest)).await)
}

fn seed(sim: &refundkit_testkit::ProviderSim, amount: &str) -> String {
    sim.seed_captured(Money::parse(amount, "USD").unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uqpay_create_get_list_wait() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let payment = seed(sim.uqpay(), "25.00");

    let created = create_ok(
        &env,
        "uqpay",
        &payment,
        &[
            "--amount",
            "10.01",
            "--currency",
            "USD",
            "--reason",
            "requested_by_customer",
            "--metadata",
            "order_id=order_6789",
        ],
    )
    .await;
    assert_created_shape(&created, "uqpay");
    assert_eq!(
        created["amount"],
        serde_json::json!({"value": "10.01", "currency": "USD"})
    );
    assert_eq!(created["metadata"]["order_id"], "order_6789");
    let reference = created["ref"].as_str().unwrap();

    let read = stdout_json(&refundkit(&env, &["get", reference]).await);
    assert_eq!(read["id"], created["id"]);

    let listed = stdout_json(
        &refundkit(
            &env,
            &["list", "--provider", "uqpay", "--payment", &payment],
        )
        .await,
    );
    let ids: Vec<&Value> = listed["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids, vec![&created["id"]]);

    let waited = stdout_json(&refundkit(&env, &["wait", reference, "--timeout", "10"]).await);
    assert_eq!(waited["status"], "succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wooshpay_create_get_wait_and_list_is_unsupported() {
    let sim = Simulator::start().await.unwrap();
    sim.wooshpay().set_settle_mode(SettleMode::AfterReads(1));
    let env = env_for(&sim);
    let payment = seed(sim.wooshpay(), "25.00");

    let created = create_ok(
        &env,
        "wooshpay",
        &payment,
        &["--full", "--reason", "duplicate"],
    )
    .await;
    assert_created_shape(&created, "wooshpay");
    assert_eq!(created["amount"]["value"], "25");
    assert_eq!(created["status"], "pending");
    let reference = created["ref"].as_str().unwrap();

    let pretty = refundkit(&env, &["get", reference, "--pretty"]).await;
    let text = String::from_utf8(pretty.stdout).unwrap();
    assert!(
        text.starts_with("{\n  \"ref\": "),
        "ref first, indented: {text}"
    );
    let read: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(read["id"], created["id"]);
    let waited = stdout_json(&refundkit(&env, &["wait", reference]).await);
    assert_eq!(waited["status"], "succeeded");

    let output = refundkit(&env, &["list", "--provider", "wooshpay"]).await;
    let (code, error) = failure(&output);
    assert_eq!((code, error["kind"].as_str()), (2, Some("unsupported")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_reference_twice_makes_one_refund() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let payment = seed(sim.uqpay(), "25.00");
    let args = create_args(
        "uqpay",
        &payment,
        &[
            "--amount",
            "5",
            "--currency",
            "USD",
            "--reason",
            "duplicate",
            "--reference",
            "order-6789/refund-1",
        ],
    );

    let first = stdout_json(&refundkit(&env, &args).await);
    let second = stdout_json(&refundkit(&env, &args).await);

    assert_eq!(first["id"], second["id"]);
    assert_eq!(sim.uqpay().refund_count_for(&payment), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_and_usage_exit_2() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let payment = seed(sim.uqpay(), "25.00");

    let output = refundkit(
        &env,
        &create_args(
            "uqpay",
            &payment,
            &[
                "--amount",
                "10.001",
                "--currency",
                "USD",
                "--reason",
                "duplicate",
            ],
        ),
    )
    .await;
    let (code, error) = failure(&output);
    assert_eq!((code, error["kind"].as_str()), (2, Some("invalid")));
    // Nothing was sent, so there is no key to retry with (issue 15).
    assert!(error["idempotency_key"].is_null(), "{error}");

    let output = refundkit(&env, &create_args("uqpay", &payment, &["--full"])).await;
    let (code, error) = failure(&output);
    assert_eq!((code, error["kind"].as_str()), (2, Some("usage")));

    assert_eq!(sim.uqpay().journal_len(), 0, "nothing reached the provider");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_errors_exit_3() {
    let sim = Simulator::start().await.unwrap();
    let output = refundkit(&env_for(&sim), &["get", "uqpay:RF0000000000000000000"]).await;
    let (code, error) = failure(&output);
    assert_eq!((code, error["kind"].as_str()), (3, Some("not_found")));
    assert_eq!(error["retryable"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_outcomes_exit_4_with_the_key_to_retry_with() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let payment = seed(sim.wooshpay(), "25.00");
    sim.wooshpay()
        .inject_fault(Route::CreateRefund, Calls::Every, Fault::ServerError(503));
    let args = create_args(
        "wooshpay",
        &payment,
        &[
            "--amount",
            "5",
            "--currency",
            "USD",
            "--reason",
            "duplicate",
            "--reference",
            "order-42/refund-1",
        ],
    );

    let (code, error) = failure(&refundkit(&env, &args).await);

    assert_eq!((code, error["kind"].as_str()), (4, Some("outcome_unknown")));
    assert_eq!(error["retryable"], true);
    let expected = refundkit::IdempotencyKey::derive("refundkit", "order-42/refund-1").unwrap();
    assert_eq!(error["idempotency_key"], expected.to_string());

    // The provider recovers; the same command now completes, once.
    sim.wooshpay().clear_faults();
    let refund = stdout_json(&refundkit(&env, &args).await);
    assert_eq!(refund["amount"]["value"], "5");
    assert_eq!(sim.wooshpay().refund_count_for(&payment), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_errors_exit_5_without_secrets() {
    let output = refundkit(&[], &["get", "uqpay:RF1"]).await;
    let (code, error) = failure(&output);
    assert_eq!((code, error["kind"].as_str()), (5, Some("config")));

    let env = vec![(
        "WOOSHPAY_SECRET_KEY".to_string(),
        "pk_test_SECRET_VALUE".to_string(),
    )];
    let output = refundkit(&env, &["get", "wooshpay:re_1"]).await;
    let (code, error) = failure(&output);
    assert_eq!(code, 5);
    assert!(!error.to_string().contains("SECRET_VALUE"), "{error}");

    let env = vec![("UQPAY_CLIENT_ID".to_string(), "client".to_string())];
    let (code, error) = failure(&refundkit(&env, &["get", "uqpay:RF1"]).await);
    assert_eq!(code, 5);
    assert!(
        error["message"].as_str().unwrap().contains("UQPAY_API_KEY"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anything_else_exits_1() {
    let sim = Simulator::start().await.unwrap();
    sim.uqpay().set_settle_mode(SettleMode::AfterReads(1000));
    let env = env_for(&sim);
    let payment = seed(sim.uqpay(), "25.00");
    let created = create_ok(
        &env,
        "uqpay",
        &payment,
        &[
            "--amount",
            "1",
            "--currency",
            "USD",
            "--reason",
            "fraudulent",
        ],
    )
    .await;

    let output = refundkit(
        &env,
        &["wait", created["ref"].as_str().unwrap(), "--timeout", "1"],
    )
    .await;

    let (code, error) = failure(&output);
    assert_eq!((code, error["kind"].as_str()), (1, Some("still_pending")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_verify_and_tampering_is_refused() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let payment = seed(sim.uqpay(), "25.00");
    let created = create_ok(
        &env,
        "uqpay",
        &payment,
        &[
            "--amount",
            "8.88",
            "--currency",
            "USD",
            "--reason",
            "duplicate",
        ],
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let webhook = sim.uqpay().refund_webhook(id, WEBHOOK_SECRET).unwrap();
    let dir = std::env::temp_dir().join(format!("refundkit-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body = dir.join("body.json");
    std::fs::write(&body, webhook.body()).unwrap();
    let headers: Vec<String> = webhook
        .headers()
        .iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect();
    let mut args = vec![
        "verify-webhook",
        "--provider",
        "uqpay",
        "--body",
        body.to_str().unwrap(),
    ];
    for header in &headers {
        args.extend(["--header", header.as_str()]);
    }

    let event = stdout_json(&refundkit(&env, &args).await);
    assert_eq!(event["refund"]["id"], id);
    assert_eq!(event["refund"]["amount"]["value"], "8.88");
    assert!(event["event_id"].is_string());

    let mut tampered = webhook.body().to_vec();
    tampered.extend_from_slice(b" ");
    std::fs::write(&body, tampered).unwrap();
    let (code, error) = failure(&refundkit(&env, &args).await);
    assert_eq!((code, error["kind"].as_str()), (2, Some("webhook")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_without_a_reference_or_key_is_refused_and_sends_nothing() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let payment = seed(sim.uqpay(), "25.00");
    sim.uqpay().clear_journal();

    let output = refundkit(
        &env,
        &[
            "recover",
            "--provider",
            "uqpay",
            "--payment",
            &payment,
            "--amount",
            "5.00",
            "--currency",
            "USD",
            "--reason",
            "duplicate",
        ],
    )
    .await;
    let (code, error) = failure(&output);
    assert_eq!((code, error["kind"].as_str()), (2, Some("invalid")));
    assert!(
        error["message"].as_str().unwrap().contains("--reference"),
        "{error}"
    );
    assert_eq!(sim.uqpay().refund_count(), 0);
    assert_eq!(sim.uqpay().journal_len(), 0);
}
