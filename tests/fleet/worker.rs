//! One worker process of a fleet run: `concurrency` tasks create `refunds`
//! refunds of 0.01 USD on one payment through one `UqPayClient`, then print
//! `fleet-worker ok=N failed=M` (and up to three failure samples on stderr).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use refundkit::uqpay::{TokenStoreSetting, UqPayClient, UqPayConfig};
use refundkit::{
    IdempotencyKey, Money, RefundAmount, RefundProvider, RefundReason, RefundRequest, SecretString,
};

/// What one worker does; passed on its command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerArgs {
    pub base_url: String,
    pub client_id: String,
    pub api_key: String,
    /// A `UQPAY_TOKEN_STORE` value.
    pub store: String,
    pub payment: String,
    pub refunds: usize,
    pub concurrency: usize,
    /// Unix milliseconds to start at (so every process starts together).
    pub start_at_ms: u64,
    /// Makes idempotency keys unique per worker.
    pub tag: String,
}

impl WorkerArgs {
    pub fn to_args(&self) -> Vec<String> {
        [
            ("--base-url", self.base_url.clone()),
            ("--client-id", self.client_id.clone()),
            ("--api-key", self.api_key.clone()),
            ("--store", self.store.clone()),
            ("--payment", self.payment.clone()),
            ("--refunds", self.refunds.to_string()),
            ("--concurrency", self.concurrency.to_string()),
            ("--start-at-ms", self.start_at_ms.to_string()),
            ("--tag", self.tag.clone()),
        ]
        .into_iter()
        .flat_map(|(name, value)| [name.to_string(), value])
        .collect()
    }

    pub fn parse(args: &[String]) -> Result<Self, String> {
        let value = |name: &str| -> Result<String, String> {
            let position = args
                .iter()
                .position(|arg| arg == name)
                .ok_or_else(|| format!("missing {name}"))?;
            args.get(position + 1)
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |name: &str| -> Result<u64, String> {
            value(name)?
                .parse()
                .map_err(|_| format!("{name} must be a number"))
        };
        Ok(Self {
            base_url: value("--base-url")?,
            client_id: value("--client-id")?,
            api_key: value("--api-key")?,
            store: value("--store")?,
            payment: value("--payment")?,
            refunds: number("--refunds")? as usize,
            concurrency: number("--concurrency")? as usize,
            start_at_ms: number("--start-at-ms")?,
            tag: value("--tag")?,
        })
    }
}

/// What a worker reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerReport {
    pub ok: usize,
    pub failed: usize,
}

impl WorkerReport {
    pub fn line(&self) -> String {
        format!("fleet-worker ok={} failed={}", self.ok, self.failed)
    }

    pub fn parse_line(line: &str) -> Option<Self> {
        let rest = line.trim().strip_prefix("fleet-worker ")?;
        let mut report = Self::default();
        for pair in rest.split_whitespace() {
            match pair.split_once('=')? {
                ("ok", n) => report.ok = n.parse().ok()?,
                ("failed", n) => report.failed = n.parse().ok()?,
                _ => return None,
            }
        }
        Some(report)
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Runs the refunds; failures are counted, never fatal.
pub async fn run_worker(args: &WorkerArgs) -> Result<WorkerReport, String> {
    let lookup = |name: &str| std::env::var(name).ok();
    let setting = TokenStoreSetting::parse(&args.store, lookup).map_err(|e| e.to_string())?;
    let config = UqPayConfig::builder(&args.client_id, SecretString::from(args.api_key.clone()))
        .base_url(&args.base_url)
        .token_store(setting)
        .build()
        .map_err(|e| e.to_string())?;
    let client = Arc::new(UqPayClient::new(config).map_err(|e| e.to_string())?);
    let wait = args.start_at_ms.saturating_sub(now_ms());
    tokio::time::sleep(Duration::from_millis(wait)).await;

    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let samples = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        let (client, next, ok, failed, samples) = (
            client.clone(),
            next.clone(),
            ok.clone(),
            failed.clone(),
            samples.clone(),
        );
        let args = args.clone();
        tasks.spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                if index >= args.refunds {
                    break;
                }
                match refund_once(client.as_ref(), &args, index).await {
                    Ok(()) => ok.fetch_add(1, Ordering::SeqCst),
                    Err(error) => {
                        if let Ok(mut samples) = samples.lock() {
                            if samples.len() < 3 {
                                samples.push(error);
                            }
                        }
                        failed.fetch_add(1, Ordering::SeqCst)
                    }
                };
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    if let Ok(samples) = samples.lock() {
        for sample in samples.iter() {
            eprintln!("fleet-worker failure: {sample}");
        }
    }
    Ok(WorkerReport {
        ok: ok.load(Ordering::SeqCst),
        failed: failed.load(Ordering::SeqCst),
    })
}

async fn refund_once(client: &UqPayClient, args: &WorkerArgs, index: usize) -> Result<(), String> {
    let key = IdempotencyKey::derive("fleet", &format!("{}/{index}", args.tag))
        .map_err(|e| e.to_string())?;
    let amount = Money::parse("0.01", "USD").map_err(|e| e.to_string())?;
    let request = RefundRequest::builder(
        args.payment.as_str(),
        RefundAmount::Partial(amount),
        RefundReason::RequestedByCustomer,
    )
    .idempotency_key(key)
    .build()
    .map_err(|e| e.to_string())?;
    client
        .create_refund(&request)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// `main` of the worker binary (and of the benchmark re-run as a worker).
pub fn worker_main(args: &[String]) -> std::process::ExitCode {
    let parsed = match WorkerArgs::parse(args) {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("fleet-worker: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("fleet-worker: {error}");
            return std::process::ExitCode::from(1);
        }
    };
    match runtime.block_on(run_worker(&parsed)) {
        Ok(report) => {
            println!("{}", report.line());
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("fleet-worker: {error}");
            std::process::ExitCode::from(1)
        }
    }
}
