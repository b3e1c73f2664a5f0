//! Exactly one refund through a crash: `refundkit create --reference R`
//! killed with SIGKILL after the simulator received the create (its commit
//! is slow, so the kill lands before, during or after it), then the same
//! command — or `recover` — run again. 20 runs per provider with random
//! kill delays; each must end with exactly one refund for R.

mod common;

use std::time::{Duration, Instant};

use common::{env_for, refundkit, spawn};
use refundkit::{Money, RefundAmount, RefundReason, RefundRequest, Refunds};
use refundkit_testkit::{Calls, Fault, ProviderSim, Route, Simulator};
use serde_json::Value;

const RUNS_PER_PROVIDER: u32 = 20;
const COMMIT_DELAY: Duration = Duration::from_millis(150);

fn create_args<'a>(
    verb: &'a str,
    provider: &'a str,
    payment: &'a str,
    reference: &'a str,
) -> Vec<&'a str> {
    vec![
        verb,
        "--provider",
        provider,
        "--payment",
        payment,
        "--amount",
        "5",
        "--currency",
        "USD",
        "--reason",
        "duplicate",
        "--reference",
        reference,
    ]
}

/// Waits until `sim` has received `calls` creates in all (bounded).
async fn until_create_received(sim: &ProviderSim, calls: u32) {
    let started = Instant::now();
    while sim.call_count(Route::CreateRefund) < calls {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the create never arrived"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn crash_then_rerun(sim: &Simulator, provider: &str) {
    let env = env_for(sim);
    let provider_sim = match provider {
        "uqpay" => sim.uqpay(),
        _ => sim.wooshpay(),
    };
    for run in 0..RUNS_PER_PROVIDER {
        let payment = provider_sim.seed_captured(Money::parse("100.00", "USD").unwrap());
        let reference = format!("order-{provider}-{run}/refund-1");
        let before = provider_sim.call_count(Route::CreateRefund);
        provider_sim.inject_fault(
            Route::CreateRefund,
            Calls::Next(1),
            Fault::SlowCommit(COMMIT_DELAY),
        );

        let mut child = spawn(&env, &create_args("create", provider, &payment, &reference));
        until_create_received(provider_sim, before + 1).await;
        // Kill before, around or after the commit.
        tokio::time::sleep(Duration::from_millis(fastrand::u64(0..=250))).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Let a commit in progress finish, as a provider would.
        tokio::time::sleep(COMMIT_DELAY + Duration::from_millis(50)).await;

        let verb = if run % 2 == 0 { "create" } else { "recover" };
        let output = refundkit(&env, &create_args(verb, provider, &payment, &reference)).await;
        assert!(
            output.status.success(),
            "{provider} run {run} {verb}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
        let refunds = provider_sim.refunds_for(&payment);
        assert_eq!(
            refunds.len(),
            1,
            "{provider} run {run}: exactly one refund for {reference}"
        );
        assert_eq!(
            printed["id"].as_str(),
            Some(refunds[0].id.as_str()),
            "{provider} run {run}"
        );
        assert_eq!(printed["reference"].as_str(), Some(reference.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_uqpay_create_rerun_or_recovered_makes_exactly_one_refund() {
    let sim = Simulator::start().await.unwrap();
    crash_then_rerun(&sim, "uqpay").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_wooshpay_create_rerun_or_recovered_makes_exactly_one_refund() {
    let sim = Simulator::start().await.unwrap();
    crash_then_rerun(&sim, "wooshpay").await;
}

/// The app (the library, default namespace) and then an operator (the CLI)
/// refund the same order line: one refund, one key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_then_the_cli_with_the_same_reference_make_one_refund() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("100.00", "USD").unwrap());
    let lookup = |name: &str| {
        env.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let refunds = Refunds::from_lookup(lookup).unwrap();
    let request = RefundRequest::builder(
        payment.clone(),
        RefundAmount::Partial(Money::parse("5", "USD").unwrap()),
        RefundReason::Duplicate,
    )
    .reference(refunds.key_namespace(), "order-6789/refund-1")
    .build()
    .unwrap();
    let by_app = refunds
        .create_refund_at(refundkit::uqpay::PROVIDER, &request)
        .await
        .unwrap();

    let output = refundkit(
        &env,
        &create_args("create", "uqpay", &payment, "order-6789/refund-1"),
    )
    .await;

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let by_operator: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(by_operator["id"].as_str(), Some(by_app.id.as_str()));
    assert_eq!(
        by_operator["idempotency_key"].as_str(),
        Some(request.idempotency_key().to_string().as_str())
    );
    assert_eq!(sim.uqpay().refund_count_for(&payment), 1);
}
