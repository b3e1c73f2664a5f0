//! The scrub test of issue 9 for the binary: `refundkit` run against
//! simulators in "echo secrets" mode (every credential they receive is
//! quoted back in bodies, error messages and request-id headers); nothing it
//! prints on stdout or stderr contains a secret.

mod common;

use std::process::Output;

use common::refundkit;

use refundkit::Money;
use refundkit_testkit::Simulator;

const UQPAY_CLIENT_ID: &str = "echo-cli-client";
const UQPAY_KEY: &str = "uqpay-ECHOED-cli-key-31c7";
const UQPAY_WEBHOOK_SECRET: &str = "uqpay-whsec-ECHOED-cli-8a";
const WOOSHPAY_KEY: &str = "sk_test_ECHOED_cli_key_6d40";

fn env_for(sim: &Simulator) -> Vec<(String, String)> {
    // UQPay's token file (the CLI's default store) in this run's own cache.
    let cache = std::env::temp_dir().join(format!("refundkit-echo-cli-{}", std::process::id()));
    [
        ("XDG_CACHE_HOME", cache.display().to_string()),
        ("UQPAY_CLIENT_ID", UQPAY_CLIENT_ID.to_string()),
        ("UQPAY_API_KEY", UQPAY_KEY.to_string()),
        ("UQPAY_ENVIRONMENT", "sandbox".to_string()),
        ("UQPAY_BASE_URL", sim.uqpay_base_url()),
        ("UQPAY_WEBHOOK_SECRET", UQPAY_WEBHOOK_SECRET.to_string()),
        ("WOOSHPAY_SECRET_KEY", WOOSHPAY_KEY.to_string()),
        ("WOOSHPAY_BASE_URL", sim.wooshpay_base_url()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// stdout and stderr of one run, with whether it succeeded.
fn printed(output: &Output) -> (bool, String) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_prints_no_secret_an_echoing_provider_quotes() {
    let sim = Simulator::builder()
        .uqpay_credentials(UQPAY_CLIENT_ID, UQPAY_KEY)
        .wooshpay_secret_key(WOOSHPAY_KEY)
        .start()
        .await
        .unwrap();
    sim.uqpay().echo_secrets(true);
    sim.wooshpay().echo_secrets(true);
    let env = env_for(&sim);
    let mut outputs = Vec::new();

    for (provider, simulated, unknown) in [
        ("uqpay", sim.uqpay(), "uqpay:RF0000000000000000001"),
        (
            "wooshpay",
            sim.wooshpay(),
            "wooshpay:re_0000000000000000001",
        ),
    ] {
        let payment = simulated.seed_captured(Money::parse("25.00", "USD").unwrap());
        let create = |amount: &'static str| {
            let payment = payment.clone();
            let env = env.clone();
            async move {
                let args = [
                    "create",
                    "--provider",
                    provider,
                    "--payment",
                    &payment,
                    "--amount",
                    amount,
                    "--currency",
                    "USD",
                    "--reason",
                    "requested_by_customer",
                ];
                printed(&refundkit(&env, &args).await)
            }
        };
        let (created, text) = create("10.01").await;
        assert!(created, "{provider} create: {text}");
        let json: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        let reference = json["ref"].as_str().unwrap().to_string();
        outputs.push(text);

        let (read, text) = printed(&refundkit(&env, &["get", &reference]).await);
        assert!(read, "{provider} get: {text}");
        outputs.push(text);

        let (found, text) = printed(&refundkit(&env, &["get", unknown]).await);
        assert!(!found, "{provider} unknown refund: {text}");
        outputs.push(text);

        let (refused, text) = create("1000.00").await;
        assert!(!refused, "{provider} refused create: {text}");
        outputs.push(text);
    }

    let mut secrets: Vec<String> = [UQPAY_KEY, UQPAY_WEBHOOK_SECRET, WOOSHPAY_KEY]
        .map(str::to_string)
        .to_vec();
    secrets.extend(sim.uqpay().echoed_secrets());
    secrets.extend(sim.wooshpay().echoed_secrets());
    assert!(
        secrets.len() > 5,
        "the simulators echoed: {}",
        secrets.len()
    );
    let printed = outputs.join("\n");
    assert!(
        printed.contains("[REDACTED]"),
        "the echoes reached the CLI: {printed}"
    );
    for secret in &secrets {
        assert!(
            !printed.contains(secret.as_str()),
            "{secret} leaked in:\n{printed}"
        );
    }
}
