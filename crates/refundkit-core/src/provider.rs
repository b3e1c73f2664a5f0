//! The one trait every provider implements.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use http::HeaderMap;
use time::OffsetDateTime;

use crate::error::RefundError;
use crate::idempotency::IdempotencyKey;
use crate::ids::{ProviderId, RefundId};
use crate::query::{Capabilities, ListRefunds, RefundPage};
use crate::refund::Refund;
use crate::request::RefundRequest;
use crate::webhook::RefundEvent;

/// A payment provider's refunds, normalized. Object safe: hold it as
/// `Arc<dyn RefundProvider>`.
///
/// # Example
///
/// Code written against the trait runs with every provider (the adapters,
/// or `refundkit-testkit`'s in-memory provider in tests):
///
/// ```
/// use refundkit_core::{Money, Refund, RefundAmount, RefundError, RefundProvider, RefundReason, RefundRequest};
/// use refundkit_testkit::InMemoryProvider;
///
/// /// Refunds all that remains of `payment`, then reads it back.
/// async fn refund_in_full(provider: &dyn RefundProvider, payment: &str) -> Result<Refund, RefundError> {
///     assert!(provider.capabilities().full_refunds);
///     let request = RefundRequest::builder(payment, RefundAmount::Full, RefundReason::Duplicate).build()?;
///     let refund = provider.create_refund(&request).await?;
///     provider.get_refund(&refund.id).await
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let provider = InMemoryProvider::new();
/// let payment = provider.seed_captured(Money::parse("8.88", "SGD")?);
/// let refund = refund_in_full(&provider, &payment).await?;
/// assert_eq!(refund.amount, Money::parse("8.88", "SGD")?);
/// // Nothing remains: a second full refund is the provider's refusal.
/// let again = refund_in_full(&provider, &payment).await;
/// assert!(matches!(again, Err(RefundError::Provider(_))), "{again:?}");
/// # Ok(()) }
/// ```
#[async_trait]
pub trait RefundProvider: Send + Sync + fmt::Debug {
    /// Which provider this is.
    fn provider(&self) -> ProviderId;

    /// What it supports beyond create and get.
    fn capabilities(&self) -> &Capabilities;

    /// Creates a refund. Validates first; sends the request's idempotency key
    /// on every attempt.
    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, RefundError>;

    /// Reads one refund.
    async fn get_refund(&self, id: &RefundId) -> Result<Refund, RefundError>;

    /// Lists refunds, one page at a time.
    async fn list_refunds(&self, query: &ListRefunds) -> Result<RefundPage, RefundError>;

    /// The refund created on payment `payment_id` with idempotency key `key`
    /// (stamped in its metadata by every refundkit create), or `None` when
    /// there is none — however long ago it was made. Pages through
    /// everything the provider lists for the payment; an undecodable refund
    /// that carries the key is an error, never "none".
    async fn find_refund_by_key(
        &self,
        payment_id: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Refund>, RefundError> {
        let _ = (payment_id, key);
        Err(RefundError::Unsupported {
            provider: self.provider(),
            operation: "find_refund_by_key",
        })
    }

    /// The refund `request` made, found by its key and searched the way its
    /// create was sent (an adapter whose options place a refund in another
    /// account searches that account), or `None` when there is none. This is
    /// what [`crate::recover_refund`] asks. The default is
    /// [`RefundProvider::find_refund_by_key`] on the request's payment.
    async fn find_refund_for(
        &self,
        request: &RefundRequest,
    ) -> Result<Option<Refund>, RefundError> {
        self.find_refund_by_key(request.payment_id(), request.idempotency_key())
            .await
    }

    /// Cancels a refund that has not settled. Unsupported unless
    /// [`Capabilities::cancel_refund`] says otherwise.
    async fn cancel_refund(&self, id: &RefundId) -> Result<Refund, RefundError> {
        let _ = id;
        Err(RefundError::Unsupported {
            provider: self.provider(),
            operation: "cancel_refund",
        })
    }

    /// Verifies a webhook delivery with the configured secret and parses the
    /// refund event. `now` is the clock to check the timestamp against.
    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<RefundEvent, RefundError> {
        let _ = (headers, body, now);
        Err(RefundError::Unsupported {
            provider: self.provider(),
            operation: "verify_webhook",
        })
    }
}

/// The boxed future an `async_trait` method returns.
type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, RefundError>> + Send + 'a>>;

/// Forwards to the shared provider. Written without `#[async_trait]`, whose
/// forwarding would box a second future around the provider's own: each call
/// hands back the provider's future as it is.
impl<P: RefundProvider + ?Sized> RefundProvider for Arc<P> {
    fn provider(&self) -> ProviderId {
        (**self).provider()
    }
    fn capabilities(&self) -> &Capabilities {
        (**self).capabilities()
    }
    fn find_refund_by_key<'a, 'b, 'c, 'async_trait>(
        &'a self,
        payment_id: &'b str,
        key: &'c IdempotencyKey,
    ) -> Answer<'async_trait, Option<Refund>>
    where
        'a: 'async_trait,
        'b: 'async_trait,
        'c: 'async_trait,
        Self: 'async_trait,
    {
        (**self).find_refund_by_key(payment_id, key)
    }
    fn create_refund<'a, 'b, 'async_trait>(
        &'a self,
        request: &'b RefundRequest,
    ) -> Answer<'async_trait, Refund>
    where
        'a: 'async_trait,
        'b: 'async_trait,
        Self: 'async_trait,
    {
        (**self).create_refund(request)
    }
    fn find_refund_for<'a, 'b, 'async_trait>(
        &'a self,
        request: &'b RefundRequest,
    ) -> Answer<'async_trait, Option<Refund>>
    where
        'a: 'async_trait,
        'b: 'async_trait,
        Self: 'async_trait,
    {
        (**self).find_refund_for(request)
    }
    fn get_refund<'a, 'b, 'async_trait>(&'a self, id: &'b RefundId) -> Answer<'async_trait, Refund>
    where
        'a: 'async_trait,
        'b: 'async_trait,
        Self: 'async_trait,
    {
        (**self).get_refund(id)
    }
    fn list_refunds<'a, 'b, 'async_trait>(
        &'a self,
        query: &'b ListRefunds,
    ) -> Answer<'async_trait, RefundPage>
    where
        'a: 'async_trait,
        'b: 'async_trait,
        Self: 'async_trait,
    {
        (**self).list_refunds(query)
    }
    fn cancel_refund<'a, 'b, 'async_trait>(
        &'a self,
        id: &'b RefundId,
    ) -> Answer<'async_trait, Refund>
    where
        'a: 'async_trait,
        'b: 'async_trait,
        Self: 'async_trait,
    {
        (**self).cancel_refund(id)
    }
    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<RefundEvent, RefundError> {
        (**self).verify_webhook(headers, body, now)
    }
}
