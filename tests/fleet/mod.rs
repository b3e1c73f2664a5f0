//! Fleet runs: several worker processes refunding on one UQPay client id
//! against one simulator, with one token store setting, and what the
//! simulator saw (token mints, 401s) and what the workers lost.

mod support;
mod worker;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use refundkit::Money;
use refundkit_testkit::{Simulator, SupersededAnswer};

pub use support::{shared_redis_url, unique, RedisCluster, RedisServer, TempDir, REDIS_URL_VAR};
pub use worker::{now_ms, run_worker, worker_main, WorkerArgs, WorkerReport};

/// Which store the workers share (or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetStore {
    /// Each process keeps its own token (`UQPAY_TOKEN_STORE=memory`).
    InProcess,
    /// One directory for all (`file:PATH`).
    File,
    /// One Redis for all (the URL).
    Redis(String),
}

impl FleetStore {
    pub fn label(&self) -> &'static str {
        match self {
            FleetStore::InProcess => "in-process",
            FleetStore::File => "file",
            FleetStore::Redis(_) => "redis",
        }
    }
}

/// One fleet run.
#[derive(Debug, Clone)]
pub struct FleetSpec {
    pub processes: usize,
    pub refunds_per_process: usize,
    pub concurrency: usize,
    pub store: FleetStore,
    pub superseded: SupersededAnswer,
    /// Expire every token once, when half of the refunds are done.
    pub expire_mid_run: bool,
}

/// What a run produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetFigures {
    pub mints: u64,
    pub rejections: u64,
    pub ok: usize,
    pub failed: usize,
    pub expiries: u64,
    pub elapsed: Duration,
}

impl FleetFigures {
    pub fn summary(&self, spec: &FleetSpec) -> String {
        format!(
            "{} process(es) x {} store, superseded = {:?}: {} token mints, {} x 401, {} of {} refunds failed ({} forced expiry, {} ms)",
            spec.processes,
            spec.store.label(),
            spec.superseded,
            self.mints,
            self.rejections,
            self.failed,
            self.ok + self.failed,
            self.expiries,
            self.elapsed.as_millis()
        )
    }
}

/// Runs `spec` with `worker` (a program taking [`WorkerArgs`] after
/// `worker_prefix`) as each process; the simulator runs in this process.
pub async fn run_fleet(worker: &Path, worker_prefix: &[&str], spec: &FleetSpec) -> FleetFigures {
    let client_id = unique("fleet");
    let sim = Simulator::builder()
        .uqpay_credentials(&client_id, "fleet-api-key")
        .uqpay_superseded_answer(spec.superseded)
        .start()
        .await
        .unwrap_or_else(|e| panic!("simulator: {e}"));
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("1000000.00", "USD").unwrap_or_else(|e| panic!("{e}")));
    let dir = TempDir::new("fleet-tokens");
    let store = match &spec.store {
        FleetStore::InProcess => "memory".to_string(),
        FleetStore::File => format!("file:{}", dir.path().display()),
        FleetStore::Redis(url) => url.clone(),
    };
    let start_at_ms = now_ms() + 300 + 100 * spec.processes as u64;
    let started = Instant::now();
    let mut waits = Vec::new();
    for index in 0..spec.processes {
        let args = WorkerArgs {
            base_url: sim.uqpay_base_url(),
            client_id: client_id.clone(),
            api_key: "fleet-api-key".into(),
            store: store.clone(),
            payment: payment.clone(),
            refunds: spec.refunds_per_process,
            concurrency: spec.concurrency,
            start_at_ms,
            tag: format!("{client_id}/{index}"),
        };
        let child = Command::new(worker)
            .args(worker_prefix)
            .args(args.to_args())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {worker:?}: {e}"));
        waits.push(tokio::task::spawn_blocking(move || {
            child.wait_with_output()
        }));
    }
    let total = spec.processes * spec.refunds_per_process;
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut expiries = 0;
    while !waits.iter().all(|wait| wait.is_finished()) {
        assert!(Instant::now() < deadline, "fleet run took over 300 s");
        if spec.expire_mid_run && expiries == 0 && sim.uqpay().refund_count() * 2 >= total {
            sim.uqpay().expire_tokens();
            expiries += 1;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    let mut ok = 0;
    let mut failed = 0;
    for wait in waits {
        let output = wait
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !stderr.trim().is_empty() {
            eprintln!("{}", stderr.trim());
        }
        let report = stdout
            .lines()
            .find_map(WorkerReport::parse_line)
            .unwrap_or_else(|| panic!("worker printed no report: {stdout} {stderr}"));
        ok += report.ok;
        failed += report.failed;
    }
    FleetFigures {
        mints: sim.uqpay().tokens_minted(),
        rejections: sim.uqpay().token_rejections(),
        ok,
        failed,
        expiries,
        elapsed,
    }
}
