//! wait_for_final and refund_many over a scripted provider.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use refundkit_core::{
    refund_many, wait_for_final, Capabilities, ErrorKind, ListRefunds, Money, PollPolicy,
    ProviderError, Refund, RefundAmount, RefundError, RefundId, RefundPage, RefundProvider,
    RefundReason, RefundRequest, RefundStatus,
};

/// A neutral provider name: core names no real provider.
const ACME: refundkit_core::ProviderId = refundkit_core::ProviderId::from_static("acme");

/// Reports `Pending` for the first `pending_reads` reads, then `Succeeded`;
/// fails reads listed in `failing_reads` with a retryable error.
#[derive(Debug, Default)]
struct Scripted {
    pending_reads: usize,
    failing_reads: Vec<usize>,
    reads: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

const CAPABILITIES: Capabilities = Capabilities::minimal();

fn refund(id: &str, status: RefundStatus) -> Refund {
    Refund::new(
        ACME,
        RefundId::new(id).unwrap(),
        Money::parse("1", "USD").unwrap(),
        status,
    )
}

#[async_trait]
impl RefundProvider for Scripted {
    fn provider(&self) -> refundkit_core::ProviderId {
        ACME
    }
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }
    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, RefundError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(refund(request.payment_id(), RefundStatus::Pending))
    }
    async fn get_refund(&self, id: &RefundId) -> Result<Refund, RefundError> {
        let read = self.reads.fetch_add(1, Ordering::SeqCst);
        if self.failing_reads.contains(&read) {
            return Err(
                ProviderError::new(ACME, ErrorKind::ProviderUnavailable, 503, "busy").into(),
            );
        }
        let status = if read < self.pending_reads {
            RefundStatus::Pending
        } else {
            RefundStatus::Succeeded
        };
        Ok(refund(id.as_str(), status))
    }
    async fn list_refunds(&self, _query: &ListRefunds) -> Result<RefundPage, RefundError> {
        Err(RefundError::Unsupported {
            provider: ACME,
            operation: "list_refunds",
        })
    }
}

fn quick() -> PollPolicy {
    PollPolicy::default()
        .with_interval(Duration::from_millis(5))
        .with_max_interval(Duration::from_millis(20))
        .with_timeout(Duration::from_secs(2))
}

#[tokio::test]
async fn waits_through_pending_and_transient_errors_until_final() {
    let provider = Scripted {
        pending_reads: 3,
        failing_reads: vec![1],
        ..Scripted::default()
    };
    let id = RefundId::new("re_1").unwrap();

    let refund = wait_for_final(&provider, &id, quick()).await.unwrap();

    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(provider.reads.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn gives_up_with_the_last_state_when_time_runs_out() {
    let provider = Scripted {
        pending_reads: usize::MAX,
        ..Scripted::default()
    };
    let id = RefundId::new("re_1").unwrap();
    let policy = quick().with_timeout(Duration::from_millis(100));

    let error = wait_for_final(&provider, &id, policy).await.unwrap_err();

    match error {
        RefundError::StillPending { refund, .. } => {
            assert_eq!(refund.status, RefundStatus::Pending)
        }
        other => panic!("expected StillPending, got {other:?}"),
    }
}

#[tokio::test]
async fn refund_many_bounds_concurrency_and_keeps_order() {
    let provider = Arc::new(Scripted::default());
    let requests: Vec<RefundRequest> = (0..12)
        .map(|i| {
            RefundRequest::builder(
                format!("pi_{i}"),
                RefundAmount::Partial(Money::parse("1", "USD").unwrap()),
                RefundReason::Duplicate,
            )
            .build()
            .unwrap()
        })
        .collect();

    let results: Vec<_> = refund_many(provider.as_ref(), requests, 3).collect().await;

    let ids: Vec<String> = results
        .into_iter()
        .map(|r| r.unwrap().id.to_string())
        .collect();
    let expected: Vec<String> = (0..12).map(|i| format!("pi_{i}")).collect();
    assert_eq!(ids, expected);
    assert_eq!(provider.max_in_flight.load(Ordering::SeqCst), 3);
}

#[test]
fn the_trait_is_object_safe() {
    let provider: Arc<dyn RefundProvider> = Arc::new(Scripted::default());
    assert_eq!(provider.provider(), ACME);
}
