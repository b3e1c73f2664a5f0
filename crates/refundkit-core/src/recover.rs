//! Resolving a create whose outcome is unknown to exactly one refund, at any
//! later time: find the refund made with the request's key, or make it.

use crate::error::RefundError;
use crate::integrity::check_echo;
use crate::provider::RefundProvider;
use crate::refund::Refund;
use crate::request::{RefundAmount, RefundRequest};

/// Ends a refund whose create may or may not have happened with exactly one
/// refund: the one made earlier with `request`'s idempotency key, if the
/// provider holds it (found by the key stamped in its metadata, however long
/// ago — after the provider's idempotency window too), else a new one made
/// with the **same** key.
///
/// Safe to run again after any failure, and safe to run twice in a row.
/// Two runs at the same moment are deduplicated by the provider within its
/// idempotency window (often 24 h); after it, only one process at a time
/// should recover a given refund (the journal's reconcile claims each row
/// for one sweeper). A refund found with the key but a different amount or
/// currency than requested is [`RefundError::IntegrityMismatch`].
///
/// # Example
///
/// A create whose answer never arrived (a crash, a lost connection) is
/// resolved later with the same request: made once if it was never made,
/// found if it was — here against the in-memory provider.
///
/// ```
/// use refundkit_core::{recover_refund, Money, RefundAmount, RefundProvider, RefundReason, RefundRequest};
/// use refundkit_testkit::InMemoryProvider;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let provider = InMemoryProvider::new();
/// let payment = provider.seed_captured(Money::parse("30.00", "USD")?);
/// let amount = RefundAmount::Partial(Money::parse("10.00", "USD")?);
/// let request = RefundRequest::builder(payment.as_str(), amount, RefundReason::RequestedByCustomer)
///     .reference("billing", "order-30/refund-1")
///     .build()?;
///
/// let made = recover_refund(&provider, &request).await?; // never sent before: made now
/// let found = recover_refund(&provider, &request).await?; // run again: the same refund
/// assert_eq!(found.id, made.id);
/// assert_eq!(provider.refund_count(), 1);
/// # Ok(()) }
/// ```
pub async fn recover_refund<P: RefundProvider + ?Sized>(
    provider: &P,
    request: &RefundRequest,
) -> Result<Refund, RefundError> {
    request.validate()?;
    let found = provider.find_refund_for(request).await?;
    match (found, request.amount()) {
        (Some(refund), RefundAmount::Partial(money)) => {
            check_echo(refund, Some(money.currency()), Some(money))
        }
        (Some(refund), RefundAmount::Full) => Ok(refund),
        (None, _) => provider.create_refund(request).await,
    }
}
