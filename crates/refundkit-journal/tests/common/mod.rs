//! What the journal's tests share: one database per test on every backend,
//! real adapters against the in-process simulators, providers that lose
//! answers, and the worker process the crash and concurrency tests kill.

#![allow(dead_code)]

pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use refundkit_core::transport::{RetryPolicy, TransportConfig};
use refundkit_core::{
    Capabilities, IdempotencyKey, ListRefunds, Money, ProviderId, Refund, RefundAmount,
    RefundError, RefundId, RefundPage, RefundProvider, RefundReason, RefundRequest, SecretString,
    DEFAULT_KEY_NAMESPACE,
};
use refundkit_testkit::{
    Simulator, DEFAULT_UQPAY_API_KEY, DEFAULT_UQPAY_CLIENT_ID, DEFAULT_WOOSHPAY_SECRET_KEY,
};

/// The variable naming the PostgreSQL server the tests may use.
pub const POSTGRES_URL: &str = "REFUNDKIT_TEST_POSTGRES_URL";

/// A fresh journal database on one backend.
#[derive(Debug, Clone)]
pub struct TestDb {
    pub backend: &'static str,
    pub url: String,
}

/// One fresh database per backend for the test `label`: a SQLite file in a
/// temp dir, and a new PostgreSQL database when `REFUNDKIT_TEST_POSTGRES_URL`
/// is set. Without it the PostgreSQL run is skipped with a printed reason —
/// except under `CI=true`, where it fails.
pub async fn databases(label: &str) -> Vec<TestDb> {
    let mut dbs = vec![TestDb {
        backend: "sqlite",
        url: sqlite_url(label),
    }];
    match postgres_url(label).await {
        Some(url) => dbs.push(TestDb {
            backend: "postgres",
            url,
        }),
        None => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true");
            assert!(
                !ci,
                "{POSTGRES_URL} is not set (or the postgres feature is off) but CI=true: \
                 .ci/run must start PostgreSQL for the journal tests"
            );
            eprintln!(
                "skipping the PostgreSQL run of {label}: set {POSTGRES_URL} \
                 (and build with --features postgres) to run it"
            );
        }
    }
    dbs
}

pub fn temp_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "refundkit-journal-{label}-{}-{}",
        std::process::id(),
        IdempotencyKey::new()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn sqlite_url(label: &str) -> String {
    format!("sqlite://{}", temp_dir(label).join("journal.db").display())
}

#[cfg(feature = "postgres")]
async fn postgres_url(label: &str) -> Option<String> {
    let admin = std::env::var(POSTGRES_URL).ok()?;
    let name = format!(
        "rk_{}_{}",
        label.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        fastrand::u64(..)
    );
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_URL} is set but unreachable: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    Some(url.to_string())
}

#[cfg(not(feature = "postgres"))]
async fn postgres_url(_label: &str) -> Option<String> {
    None
}

/// Retries quickly so faults do not slow the suite down.
pub fn fast_transport() -> TransportConfig {
    let mut transport = TransportConfig::default();
    transport.timeout = Duration::from_secs(5);
    let mut retry = RetryPolicy::default();
    retry.max_attempts = 8;
    retry.initial_backoff = Duration::from_millis(20);
    retry.max_backoff = Duration::from_millis(200);
    retry.max_elapsed = Duration::from_secs(10);
    transport.retry = retry;
    transport
}

/// The real adapter of `provider` against a simulator at `base_url`.
pub fn client(provider: &str, base_url: &str) -> Arc<dyn RefundProvider> {
    match provider {
        "uqpay" => Arc::new(
            refundkit_uqpay::UqPayClient::new(
                refundkit_uqpay::UqPayConfig::builder(
                    DEFAULT_UQPAY_CLIENT_ID,
                    SecretString::from(DEFAULT_UQPAY_API_KEY),
                )
                .base_url(base_url)
                .transport(fast_transport())
                .build()
                .unwrap(),
            )
            .unwrap(),
        ),
        _ => Arc::new(
            refundkit_wooshpay::WooshPayClient::new(
                refundkit_wooshpay::WooshPayConfig::builder(SecretString::from(
                    DEFAULT_WOOSHPAY_SECRET_KEY,
                ))
                .base_url(base_url)
                .transport(fast_transport())
                .build()
                .unwrap(),
            )
            .unwrap(),
        ),
    }
}

pub fn base_url(sim: &Simulator, provider: &str) -> String {
    match provider {
        "uqpay" => sim.uqpay_base_url(),
        _ => sim.wooshpay_base_url(),
    }
}

pub fn sim_of<'a>(sim: &'a Simulator, provider: &str) -> &'a refundkit_testkit::ProviderSim {
    match provider {
        "uqpay" => sim.uqpay(),
        _ => sim.wooshpay(),
    }
}

pub fn money(amount: &str, currency: &str) -> Money {
    Money::parse(amount, currency).unwrap()
}

/// A request for `amount` of `payment` under `reference` (default namespace).
pub fn request(payment: &str, amount: Money, reference: &str) -> RefundRequest {
    RefundRequest::builder(
        payment,
        RefundAmount::Partial(amount),
        RefundReason::RequestedByCustomer,
    )
    .reference(DEFAULT_KEY_NAMESPACE, reference)
    .build()
    .unwrap()
}

/// How a [`Lossy`] provider loses a create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// The create reaches the provider; its answer is lost.
    Answer,
    /// The create never reaches the provider.
    Request,
}

/// A provider whose creates end in `OutcomeUnknown`: the refund made and
/// its answer lost, or never sent. Reads go to the real provider.
#[derive(Debug)]
pub struct Lossy {
    pub inner: Arc<dyn RefundProvider>,
    pub loss: Loss,
}

#[async_trait]
impl RefundProvider for Lossy {
    fn provider(&self) -> ProviderId {
        self.inner.provider()
    }
    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }
    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, RefundError> {
        if self.loss == Loss::Answer {
            let _ = self.inner.create_refund(request).await;
        }
        Err(RefundError::OutcomeUnknown {
            provider: self.provider(),
            idempotency_key: *request.idempotency_key(),
            source: Box::new(RefundError::Timeout {
                provider: self.provider(),
                after: Duration::from_secs(30),
            }),
        })
    }
    async fn get_refund(&self, id: &RefundId) -> Result<Refund, RefundError> {
        self.inner.get_refund(id).await
    }
    async fn list_refunds(&self, query: &ListRefunds) -> Result<RefundPage, RefundError> {
        self.inner.list_refunds(query).await
    }
    async fn find_refund_by_key(
        &self,
        payment_id: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Refund>, RefundError> {
        self.inner.find_refund_by_key(payment_id, key).await
    }
}
