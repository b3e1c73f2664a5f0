//! Running the `refundkit` binary as a process against the testkit simulators.

#![allow(dead_code)]

use std::process::{Child, Command, Output, Stdio};

use refundkit_testkit::Simulator;

/// The variables that point the CLI at `sim` (its own credentials), with
/// UQPay's shared token file in a cache directory of that simulator.
pub fn env_for(sim: &Simulator) -> Vec<(String, String)> {
    let port = sim
        .uqpay_base_url()
        .replace(|c: char| !c.is_ascii_digit(), "");
    let cache = std::env::temp_dir().join(format!("refundkit-cli-tests-{port}"));
    [
        ("XDG_CACHE_HOME", cache.display().to_string()),
        ("UQPAY_CLIENT_ID", sim.uqpay_client_id().to_string()),
        ("UQPAY_API_KEY", sim.uqpay_api_key().to_string()),
        ("UQPAY_ENVIRONMENT", "sandbox".to_string()),
        ("UQPAY_BASE_URL", sim.uqpay_base_url()),
        ("WOOSHPAY_SECRET_KEY", sim.wooshpay_secret_key().to_string()),
        ("WOOSHPAY_BASE_URL", sim.wooshpay_base_url()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The binary with only `env` set (nothing inherited but PATH).
pub fn command(env: &[(String, String)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_refundkit"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().cloned())
        .args(args);
    command
}

/// Runs the CLI to its end, off the async runtime.
pub async fn refundkit(env: &[(String, String)], args: &[&str]) -> Output {
    let mut command = command(env, args);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// Starts the CLI without waiting for it (to kill it mid-flight).
pub fn spawn(env: &[(String, String)], args: &[&str]) -> Child {
    command(env, args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}
