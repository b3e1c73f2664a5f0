//! Helpers over any provider: wait for a final status, refund many at once.

use std::time::{Duration, Instant};

use futures::stream::{self, Stream, StreamExt};

use crate::error::RefundError;
use crate::ids::RefundId;
use crate::provider::RefundProvider;
use crate::refund::Refund;
use crate::request::RefundRequest;

/// How [`wait_for_final`] polls.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollPolicy {
    /// The first wait between reads.
    pub interval: Duration,
    /// Waits double up to this.
    pub max_interval: Duration,
    /// Give up after this long.
    pub timeout: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(500),
            max_interval: Duration::from_secs(15),
            timeout: Duration::from_secs(300),
        }
    }
}

impl PollPolicy {
    /// With the first interval set.
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// With the largest interval set.
    pub fn with_max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// With the overall timeout set.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// Reads the refund until its status is final. Retryable read errors are
/// ridden out; others end the wait. When time runs out the error is
/// [`RefundError::StillPending`] with the last state seen.
///
/// # Example
///
/// A refund that settles later (here `refundkit-testkit`'s in-memory
/// provider, pending for two reads), polled until final:
///
/// ```
/// use std::time::Duration;
///
/// use refundkit_core::{
///     wait_for_final, Money, PollPolicy, RefundAmount, RefundError, RefundProvider, RefundReason,
///     RefundRequest, RefundStatus,
/// };
/// use refundkit_testkit::{InMemoryProvider, SettleMode};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let provider = InMemoryProvider::new();
/// provider.set_settle_mode(SettleMode::AfterReads(2)); // pending for two reads
/// let payment = provider.seed_captured(Money::parse("40.00", "USD")?);
/// let request = RefundRequest::builder(payment.as_str(), RefundAmount::Full, RefundReason::Fraudulent)
///     .build()?;
/// let refund = provider.create_refund(&request).await?;
/// assert_eq!(refund.status, RefundStatus::Pending);
///
/// let no_time = PollPolicy::default().with_timeout(Duration::ZERO);
/// match wait_for_final(&provider, &refund.id, no_time).await {
///     Err(RefundError::StillPending { refund, .. }) => assert_eq!(refund.status, RefundStatus::Pending),
///     other => panic!("expected StillPending, got {other:?}"),
/// }
///
/// let policy = PollPolicy::default()
///     .with_interval(Duration::from_millis(5))
///     .with_timeout(Duration::from_secs(5));
/// let settled = wait_for_final(&provider, &refund.id, policy).await?;
/// assert_eq!(settled.status, RefundStatus::Succeeded);
/// # Ok(()) }
/// ```
pub async fn wait_for_final(
    provider: &dyn RefundProvider,
    id: &RefundId,
    policy: PollPolicy,
) -> Result<Refund, RefundError> {
    wait_for_final_with_progress(provider, id, policy, &mut |_| {}).await
}

/// [`wait_for_final`], calling `progress` with every non-final state read.
pub async fn wait_for_final_with_progress(
    provider: &dyn RefundProvider,
    id: &RefundId,
    policy: PollPolicy,
    progress: &mut (dyn FnMut(&Refund) + Send),
) -> Result<Refund, RefundError> {
    let started = Instant::now();
    let mut interval = policy.interval;
    let mut last_seen: Option<Refund> = None;
    loop {
        let read = match provider.get_refund(id).await {
            Ok(refund) if refund.status.is_final() => return Ok(refund),
            Ok(refund) => {
                progress(&refund);
                Ok(refund)
            }
            Err(error) if error.is_retryable() => {
                tracing::debug!(error = %error.code(), "read failed while waiting; polling on");
                Err(error)
            }
            Err(error) => return Err(error),
        };
        if started.elapsed() + interval > policy.timeout {
            // The last state seen beats a transient read error.
            return Err(match (read, last_seen) {
                (Ok(refund), _) | (Err(_), Some(refund)) => RefundError::StillPending {
                    refund: Box::new(refund),
                    waited: started.elapsed(),
                },
                (Err(error), None) => error,
            });
        }
        last_seen = read.ok().or(last_seen);
        tokio::time::sleep(interval).await;
        interval = interval.saturating_mul(2).min(policy.max_interval);
    }
}

/// Creates many refunds with at most `concurrency` in flight. Results come in
/// the order of `requests`, one per request; each request keeps its own
/// idempotency key, so the whole batch can be re-run safely.
///
/// # Example
///
/// A batch with at most 4 creates in flight; each request has its own key
/// (from its reference), so running the same batch again after a crash
/// refunds nothing twice.
///
/// ```
/// use futures::StreamExt;
/// use refundkit_core::{refund_many, Money, RefundAmount, RefundReason, RefundRequest};
/// use refundkit_testkit::InMemoryProvider;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let provider = InMemoryProvider::new();
/// let payment = provider.seed_captured(Money::parse("100.00", "USD")?);
/// let amount = RefundAmount::Partial(Money::parse("2.50", "USD")?);
/// let batch = || -> Result<Vec<RefundRequest>, refundkit_core::ValidationError> {
///     (1..=10)
///         .map(|line| {
///             RefundRequest::builder(payment.as_str(), amount.clone(), RefundReason::RequestedByCustomer)
///                 .reference("billing", &format!("order-9/line-{line}"))
///                 .build()
///         })
///         .collect()
/// };
/// let results: Vec<_> = refund_many(&provider, batch()?, 4).collect().await;
/// assert_eq!(results.len(), 10); // one per request, in request order
/// assert!(results.iter().all(|result| result.is_ok()));
///
/// let again: Vec<_> = refund_many(&provider, batch()?, 4).collect().await;
/// assert_eq!(again[3].as_ref().ok(), results[3].as_ref().ok()); // replayed, not repeated
/// assert_eq!(provider.refund_count(), 10);
/// # Ok(()) }
/// ```
pub fn refund_many<'a>(
    provider: &'a dyn RefundProvider,
    requests: impl IntoIterator<Item = RefundRequest> + 'a,
    concurrency: usize,
) -> impl Stream<Item = Result<Refund, RefundError>> + 'a {
    stream::iter(requests)
        .map(move |request| async move { provider.create_refund(&request).await })
        .buffered(concurrency.max(1))
}
