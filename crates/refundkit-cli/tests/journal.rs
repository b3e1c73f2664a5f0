//! `--journal`, `reconcile` and `history` through the binary against the
//! simulators, on SQLite and (when `REFUNDKIT_TEST_POSTGRES_URL` is set)
//! PostgreSQL.

mod common;

use std::process::Output;

use common::refundkit;
use refundkit::Money;
use refundkit_testkit::{Calls, Fault, Route, Simulator};
use serde_json::Value;

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn failure(output: &Output) -> (i32, Value) {
    let json: Value = serde_json::from_slice(&output.stderr).unwrap();
    (output.status.code().unwrap(), json["error"].clone())
}

fn journal_urls() -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "refundkit-cli-journal-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut urls = vec![format!("sqlite://{}", dir.join("journal.db").display())];
    match std::env::var("REFUNDKIT_TEST_POSTGRES_URL") {
        Ok(url) => urls.push(url),
        Err(_) => {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "CI=true needs REFUNDKIT_TEST_POSTGRES_URL"
            );
            eprintln!("skipping the PostgreSQL run: REFUNDKIT_TEST_POSTGRES_URL is not set");
        }
    }
    urls
}

fn create_args<'a>(
    payment: &'a str,
    amount: &'a str,
    reference: &'a str,
    ceiling: &'a str,
) -> Vec<&'a str> {
    vec![
        "create",
        "--provider",
        "wooshpay",
        "--payment",
        payment,
        "--amount",
        amount,
        "--currency",
        "USD",
        "--reason",
        "requested_by_customer",
        "--reference",
        reference,
        "--ceiling",
        ceiling,
    ]
}

#[tokio::test]
async fn a_journaled_create_sends_a_finished_reference_only_once_and_refuses_past_the_ceiling() {
    let sim = Simulator::start().await.unwrap();
    for url in journal_urls() {
        let env = common::env_for(&sim);
        let payment = sim
            .wooshpay()
            .seed_captured(Money::parse("20.00", "USD").unwrap());
        let reference = format!("cli-{}", fastrand::u64(..));
        // The global flag before the subcommand...
        let mut args = vec!["--journal", url.as_str()];
        args.extend(create_args(&payment, "12.00", &reference, "15.00"));
        let first = json(&refundkit(&env, &args).await);
        assert_eq!(first["status"], "succeeded");
        assert_eq!(first["reference"], reference.as_str());
        let calls = sim.wooshpay().call_count(Route::CreateRefund);
        // ... and after it, or from the environment: the same refund, nothing sent.
        let mut args = create_args(&payment, "12.00", &reference, "15.00");
        args.extend(["--journal", url.as_str()]);
        let again = json(&refundkit(&env, &args).await);
        assert_eq!(again["id"], first["id"]);
        let mut with_env = env.clone();
        with_env.push(("REFUNDKIT_JOURNAL".into(), url.clone()));
        let third = json(
            &refundkit(
                &with_env,
                &create_args(&payment, "12.00", &reference, "15.00"),
            )
            .await,
        );
        assert_eq!(third["id"], first["id"]);
        assert_eq!(sim.wooshpay().call_count(Route::CreateRefund), calls);
        assert_eq!(sim.wooshpay().refunds_for(&payment).len(), 1);

        let over = format!("{reference}-over");
        let output = refundkit(&with_env, &create_args(&payment, "3.01", &over, "15.00")).await;
        let (code, error) = failure(&output);
        assert_eq!(code, 2, "{error}");
        assert_eq!(error["kind"], "over_refund");
        assert!(error["message"]
            .as_str()
            .unwrap()
            .contains("field `amount`"));
        assert_eq!(
            sim.wooshpay().call_count(Route::CreateRefund),
            calls,
            "nothing sent"
        );

        let output = refundkit(
            &with_env,
            &[
                "create",
                "--provider",
                "wooshpay",
                "--payment",
                &payment,
                "--amount",
                "1.00",
                "--currency",
                "USD",
                "--reason",
                "duplicate",
                "--reference",
                &over,
            ],
        )
        .await;
        let (code, error) = failure(&output);
        assert_eq!(
            (code, error["kind"].as_str()),
            (2, Some("invalid")),
            "{error}"
        );
        assert!(error["message"].as_str().unwrap().contains("ceiling"));
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_journal_file_is_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let sim = Simulator::start().await.unwrap();
    let env = common::env_for(&sim);
    let dir = std::env::temp_dir().join(format!(
        "refundkit-cli-perm-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("new.db");
    let url = format!("sqlite://{}", path.display());
    let payment = sim
        .wooshpay()
        .seed_captured(Money::parse("2.00", "USD").unwrap());
    let mut args = vec!["--journal", url.as_str()];
    args.extend(create_args(&payment, "1.00", "perm", "2.00"));
    json(&refundkit(&env, &args).await);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[tokio::test]
async fn reconcile_resolves_an_unknown_outcome_and_history_shows_it() {
    let sim = Simulator::start().await.unwrap();
    for url in journal_urls() {
        let mut env = common::env_for(&sim);
        env.push(("REFUNDKIT_JOURNAL".into(), url.clone()));
        let payment = sim
            .wooshpay()
            .seed_captured(Money::parse("20.00", "USD").unwrap());
        let reference = format!("cli-lost-{}", fastrand::u64(..));
        // Every attempt fails after it may have arrived: outcome unknown.
        sim.wooshpay()
            .inject_fault(Route::CreateRefund, Calls::Next(4), Fault::ServerError(503));
        let output = refundkit(&env, &create_args(&payment, "7.50", &reference, "20.00")).await;
        let (code, error) = failure(&output);
        assert_eq!(
            (code, error["kind"].as_str()),
            (4, Some("outcome_unknown")),
            "{error}"
        );
        assert!(sim.wooshpay().refunds_for(&payment).is_empty());

        let swept = json(&refundkit(&env, &["reconcile", "--older-than", "0s"]).await);
        assert_eq!(swept["resolved"], 1, "{swept}");
        assert_eq!(swept["unfinished"], 0);
        assert_eq!(sim.wooshpay().refunds_for(&payment).len(), 1);
        let again = json(&refundkit(&env, &["reconcile"]).await);
        assert_eq!(again["claimed"], 0, "nothing left: {again}");

        let history = json(&refundkit(&env, &["history", "--payment", &payment]).await);
        assert_eq!(history["refunded"]["value"], "7.5", "{history}");
        let refund = &history["refunds"][0];
        assert_eq!(refund["state"], "succeeded");
        let states: Vec<&str> = refund["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["to_state"].as_str().unwrap())
            .collect();
        assert_eq!(states, ["recorded", "outcome_unknown", "succeeded"]);

        let table = refundkit(&env, &["history", "--payment", &payment, "--table"]).await;
        assert!(table.status.success());
        let text = String::from_utf8(table.stdout).unwrap();
        assert!(
            text.contains(&reference) && text.contains("succeeded"),
            "{text}"
        );
        assert!(
            text.contains("outcome_unknown -> succeeded  (reconcile"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn reconcile_and_history_without_a_journal_are_configuration_errors() {
    let sim = Simulator::start().await.unwrap();
    let env = common::env_for(&sim);
    let (code, error) = failure(&refundkit(&env, &["reconcile"]).await);
    assert_eq!(
        (code, error["kind"].as_str()),
        (5, Some("config")),
        "{error}"
    );
    assert!(error["message"].as_str().unwrap().contains("--journal"));
    let (code, _) = failure(&refundkit(&env, &["history", "--payment", "pi_1"]).await);
    assert_eq!(code, 5);
}
