//! The worker process: the test binary run again with `WORKER_*` variables,
//! doing journaled creates against a simulator and printing each step
//! (`step="sending"`, from the journal's tracing events) and each result
//! (`result=<code>`) on stdout, so a test can SIGKILL it at a chosen step.

use std::process::Stdio;
use std::time::Duration;

use refundkit_journal::{Journal, JournaledRefunds};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use super::{client, money, request};

/// What a worker does.
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    pub journal_url: String,
    pub provider: String,
    pub base_url: String,
    pub payment: String,
    pub amount: String,
    pub currency: String,
    pub ceiling: String,
    /// References to refund, one journaled create each, in order.
    pub references: Vec<String>,
    pub lease_ms: u64,
}

/// A running worker and its stdout lines.
pub struct Worker {
    pub child: Child,
    pub lines: Lines<BufReader<ChildStdout>>,
}

/// Starts the worker: this test binary, running only `test_name` (an
/// ignored test that calls [`run_from_env`]).
pub fn spawn(test_name: &str, spec: &WorkerSpec) -> Worker {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            test_name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WORKER_JOURNAL_URL", &spec.journal_url)
        .env("WORKER_PROVIDER", &spec.provider)
        .env("WORKER_BASE_URL", &spec.base_url)
        .env("WORKER_PAYMENT", &spec.payment)
        .env("WORKER_AMOUNT", &spec.amount)
        .env("WORKER_CURRENCY", &spec.currency)
        .env("WORKER_CEILING", &spec.ceiling)
        .env("WORKER_REFERENCES", spec.references.join(","))
        .env("WORKER_LEASE_MS", spec.lease_ms.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    Worker {
        child,
        lines: BufReader::new(stdout).lines(),
    }
}

impl Worker {
    /// Reads lines until one contains `needle`; `false` when the worker
    /// ended first.
    pub async fn wait_for(&mut self, needle: &str) -> bool {
        while let Ok(Some(line)) = self.lines.next_line().await {
            if line.contains(needle) {
                return true;
            }
        }
        false
    }

    /// Every `result=<code>` the worker printed, until it exits.
    pub async fn results(mut self) -> Vec<String> {
        let mut results = Vec::new();
        while let Ok(Some(line)) = self.lines.next_line().await {
            // libtest's "test NAME ... " may share the first line.
            if let Some((_, code)) = line.split_once("result=") {
                results.push(code.trim().to_string());
            }
        }
        let status = self.child.wait().await.unwrap();
        assert!(status.success(), "worker failed: {status}");
        results
    }

    /// SIGKILL, then reap.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("worker: {name} is not set"))
}

/// The worker's body; returns at once when not started as a worker.
pub fn run_from_env() {
    if std::env::var("WORKER_JOURNAL_URL").is_err() {
        eprintln!("not started as a worker process (run by the crash and concurrency tests)");
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stdout)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let lease = Duration::from_millis(var("WORKER_LEASE_MS").parse().unwrap());
        let journal = Journal::open_with(&var("WORKER_JOURNAL_URL"), 2)
            .await
            .unwrap()
            .with_lease(lease);
        let provider = client(&var("WORKER_PROVIDER"), &var("WORKER_BASE_URL"));
        let refunds = JournaledRefunds::new(journal, provider);
        let currency = var("WORKER_CURRENCY");
        let amount = money(&var("WORKER_AMOUNT"), &currency);
        let ceiling = money(&var("WORKER_CEILING"), &currency);
        let payment = var("WORKER_PAYMENT");
        for reference in var("WORKER_REFERENCES").split(',') {
            let request = request(&payment, amount, reference);
            let code = match refunds.create_refund(&request, ceiling).await {
                Ok(_) => "ok",
                Err(error) => error.code(),
            };
            println!("result={code}");
        }
    });
}
