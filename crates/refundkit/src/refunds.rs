//! `Refunds`: the runtime router over the configured providers.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use futures::Stream;
use http::HeaderMap;
use refundkit_core::{
    recover_refund, wait_for_final_with_progress, IdempotencyKey, ListRefunds, PollPolicy,
    ProviderId, Refund, RefundError, RefundEvent, RefundPage, RefundProvider, RefundRef,
    RefundRequest, DEFAULT_KEY_NAMESPACE,
};
use refundkit_core::{refund_many, Money, RefundStatus};
use time::OffsetDateTime;

/// Pages of 100 read by [`Refunds::payment_refunds`] at most.
const MAX_PAYMENT_PAGES: u32 = 100;

/// A payment's refunds and what they add up to.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PaymentRefunds {
    /// Every refund listed for the payment, newest first as the provider lists them.
    pub refunds: Vec<Refund>,
    /// The total of the refunds that did not fail or get canceled, one entry
    /// per currency (a payment has one; more means the provider answered
    /// oddly and is worth a look).
    pub refunded: Vec<Money>,
}

impl PaymentRefunds {
    fn new(refunds: Vec<Refund>) -> Result<Self, RefundError> {
        let mut refunded: Vec<Money> = Vec::new();
        for refund in &refunds {
            if matches!(refund.status, RefundStatus::Failed | RefundStatus::Canceled) {
                continue;
            }
            match refunded
                .iter_mut()
                .find(|total| total.currency() == refund.amount.currency())
            {
                Some(total) => {
                    *total = total.checked_add(&refund.amount).ok_or_else(|| {
                        RefundError::decode(refund.provider, "the refunded total is out of range")
                    })?;
                }
                None => refunded.push(refund.amount),
            }
        }
        Ok(Self { refunds, refunded })
    }
}

/// The providers a backend uses, and which one new refunds go to.
///
/// Reads route by the [`RefundRef`]'s provider, so refunds made at one
/// provider stay readable after the default moves to another. Build it once
/// at start-up and share it (it is cheap to clone).
///
/// # Example
///
/// Both providers from settings (here the simulators'; in production
/// [`Refunds::from_env`] reads the same names), WooshPay the default:
///
/// ```
/// use refundkit::{Money, RefundAmount, RefundReason, RefundRequest, RefundStatus, Refunds};
/// use refundkit_testkit::Simulator;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sim = Simulator::start().await?;
/// let settings = [
///     ("UQPAY_CLIENT_ID", sim.uqpay_client_id().to_string()),
///     ("UQPAY_API_KEY", sim.uqpay_api_key().to_string()),
///     ("UQPAY_BASE_URL", sim.uqpay_base_url()),
///     ("WOOSHPAY_SECRET_KEY", sim.wooshpay_secret_key().to_string()),
///     ("WOOSHPAY_BASE_URL", sim.wooshpay_base_url()),
///     ("REFUNDKIT_PROVIDER", "wooshpay".to_string()),
/// ];
/// let refunds = Refunds::from_lookup(|name| {
///     settings.iter().find(|(key, _)| *key == name).map(|(_, value)| value.clone())
/// })?;
/// assert_eq!(refunds.providers().count(), 2);
///
/// let payment = sim.wooshpay().seed_captured(Money::parse("30.00", "EUR")?);
/// let request = RefundRequest::builder(payment.as_str(), RefundAmount::Full, RefundReason::Duplicate)
///     .reference(refunds.key_namespace(), "order-31/refund-1")
///     .build()?;
/// let refund = refunds.create_refund(&request).await?; // at the default, WooshPay
/// let stored = refund.refund_ref().to_string();
/// assert!(stored.starts_with("wooshpay:re_"), "{stored}");
///
/// // Later, from the stored ref alone: routed to the provider that holds it.
/// let read = refunds.get_refund(&stored.parse()?).await?;
/// assert_eq!((read.id, read.status), (refund.id, RefundStatus::Succeeded));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Refunds {
    providers: BTreeMap<ProviderId, Arc<dyn RefundProvider>>,
    default: Option<ProviderId>,
    key_namespace: String,
}

impl fmt::Debug for Refunds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refunds")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .field("default", &self.default)
            .field("key_namespace", &self.key_namespace)
            .finish()
    }
}

impl Refunds {
    /// Starts a code-built setup.
    pub fn builder() -> RefundsBuilder {
        RefundsBuilder::default()
    }

    /// The providers configured, in a stable order.
    pub fn providers(&self) -> impl Iterator<Item = ProviderId> + '_ {
        self.providers.keys().copied()
    }

    /// The provider new refunds go to, when one is set (or only one exists).
    pub fn default_provider(&self) -> Option<ProviderId> {
        self.default
    }

    /// The client of `kind`, or a `Config` error saying it is not configured.
    pub fn provider(&self, kind: ProviderId) -> Result<&Arc<dyn RefundProvider>, RefundError> {
        self.providers.get(&kind).ok_or_else(|| {
            RefundError::Config(format!(
                "provider {kind} is not configured (configured: {})",
                self.configured_names()
            ))
        })
    }

    fn configured_names(&self) -> String {
        let names: Vec<&str> = self.providers.keys().map(|kind| kind.as_str()).collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    }

    fn default_client(&self) -> Result<&Arc<dyn RefundProvider>, RefundError> {
        let kind = self.default.ok_or_else(|| {
            RefundError::Config(format!(
                "no default provider: set REFUNDKIT_PROVIDER to one of {} or name the provider",
                self.configured_names()
            ))
        })?;
        self.provider(kind)
    }

    /// Creates a refund at the default provider.
    ///
    /// # Example: an unknown outcome resolved to exactly one refund
    ///
    /// A create whose answer is lost may or may not have made the refund:
    /// `OutcomeUnknown` carries the request's key; never retry with a new one.
    /// [`Refunds::recover_refund`] with the same request finds the refund made
    /// with that key or makes it with the same key — exactly one either way.
    ///
    /// ```
    /// use refundkit::toolkit::transport::{RetryPolicy, TransportConfig};
    /// use refundkit::uqpay::{UqPayClient, UqPayConfig};
    /// use refundkit::{
    ///     ErrorKind, Money, RefundAmount, RefundError, RefundReason, RefundRequest, Refunds,
    ///     SecretString,
    /// };
    /// use refundkit_testkit::{Calls, Fault, Route, Simulator};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = Simulator::start().await?;
    /// let payment = sim.uqpay().seed_captured(Money::parse("20.00", "USD")?);
    /// let config = UqPayConfig::builder(sim.uqpay_client_id(), SecretString::from(sim.uqpay_api_key()))
    ///     .base_url(&sim.uqpay_base_url())
    ///     .transport(TransportConfig::default().with_retry(RetryPolicy::never()))
    ///     .build()?;
    /// let refunds = Refunds::builder().with(UqPayClient::new(config)?).build()?;
    /// let amount = RefundAmount::Partial(Money::parse("5.00", "USD")?);
    /// let request = RefundRequest::builder(payment.as_str(), amount, RefundReason::RequestedByCustomer)
    ///     .reference(refunds.key_namespace(), "order-7/refund-1")
    ///     .build()?;
    ///
    /// // UQPay makes the refund, then the connection drops before the answer.
    /// sim.uqpay().inject_fault(Route::CreateRefund, Calls::Next(1), Fault::CommitThenDrop);
    /// let refund = match refunds.create_refund(&request).await {
    ///     Err(RefundError::OutcomeUnknown { idempotency_key, .. }) => {
    ///         assert_eq!(&idempotency_key, request.idempotency_key());
    ///         refunds.recover_refund(&request).await? // now, or a month later
    ///     }
    ///     Ok(_) => unreachable!("the answer was dropped"),
    ///     Err(other) => return Err(other.into()),
    /// };
    /// assert_eq!(refund.amount, Money::parse("5.00", "USD")?);
    /// assert_eq!(sim.uqpay().refund_count_for(&payment), 1); // exactly one
    ///
    /// // A refusal by the provider is `Provider`, with a kind to act on.
    /// let too_much = RefundAmount::Partial(Money::parse("50.00", "USD")?);
    /// let request = RefundRequest::builder(payment.as_str(), too_much, RefundReason::Duplicate).build()?;
    /// match refunds.create_refund(&request).await {
    ///     Err(error @ RefundError::Provider(_)) => {
    ///         assert_eq!(error.kind(), Some(ErrorKind::RefundExceedsAvailable));
    ///         assert!(!error.is_retryable());
    ///     }
    ///     other => panic!("expected UQPay's refusal, got {other:?}"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, RefundError> {
        self.default_client()?.create_refund(request).await
    }

    /// Creates a refund at `provider`.
    pub async fn create_refund_at(
        &self,
        provider: ProviderId,
        request: &RefundRequest,
    ) -> Result<Refund, RefundError> {
        self.provider(provider)?.create_refund(request).await
    }

    /// The namespace in which references become idempotency keys
    /// ([`refundkit_core::RefundRequestBuilder::reference`]):
    /// `REFUNDKIT_KEY_NAMESPACE` with `from_env`, else
    /// [`DEFAULT_KEY_NAMESPACE`] — the CLI's default too, so the app and an
    /// operator derive the same key for the same reference.
    pub fn key_namespace(&self) -> &str {
        &self.key_namespace
    }

    /// Resolves a refund whose create may or may not have happened (after
    /// [`RefundError::OutcomeUnknown`], a crash, a lost answer — a minute or a
    /// month later) to exactly one refund at the default provider: the one
    /// made with the request's key if it exists, else a new one with the same
    /// key. See [`refundkit_core::recover_refund`] for when it is safe, and
    /// [`RefundError`] for matching `OutcomeUnknown`.
    ///
    /// # Example
    ///
    /// A refund made, its answer lost in a crash, recovered a day later —
    /// after UQPay has forgotten the key (its idempotency window, shortened
    /// here): found by the key stamped in its metadata, not made again.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use refundkit::uqpay::{UqPayClient, UqPayConfig};
    /// use refundkit::{Money, RefundAmount, RefundReason, RefundRequest, Refunds, SecretString};
    /// use refundkit_testkit::Simulator;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = Simulator::start().await?;
    /// let payment = sim.uqpay().seed_captured(Money::parse("15.00", "USD")?);
    /// let config = UqPayConfig::builder(sim.uqpay_client_id(), SecretString::from(sim.uqpay_api_key()))
    ///     .base_url(&sim.uqpay_base_url())
    ///     .build()?;
    /// let refunds = Refunds::builder().with(UqPayClient::new(config)?).build()?;
    /// let amount = RefundAmount::Partial(Money::parse("15.00", "USD")?);
    /// let request = RefundRequest::builder(payment.as_str(), amount, RefundReason::RequestedByCustomer)
    ///     .reference(refunds.key_namespace(), "order-15/refund-1")
    ///     .build()?;
    /// let lost = refunds.create_refund(&request).await?; // made; the process dies here
    ///
    /// sim.uqpay().set_idempotency_window(Duration::ZERO);
    /// let recovered = refunds.recover_refund(&request).await?;
    /// assert_eq!(recovered.id, lost.id);
    /// assert_eq!(sim.uqpay().refund_count_for(&payment), 1);
    /// # Ok(()) }
    /// ```
    pub async fn recover_refund(&self, request: &RefundRequest) -> Result<Refund, RefundError> {
        recover_refund(self.default_client()?.as_ref(), request).await
    }

    /// [`Refunds::recover_refund`] at a named provider.
    pub async fn recover_refund_at(
        &self,
        provider: ProviderId,
        request: &RefundRequest,
    ) -> Result<Refund, RefundError> {
        recover_refund(self.provider(provider)?.as_ref(), request).await
    }

    /// The refund made on `payment_id` with `key` at `provider`, or `None`.
    pub async fn find_refund_by_key(
        &self,
        provider: ProviderId,
        payment_id: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Refund>, RefundError> {
        self.provider(provider)?
            .find_refund_by_key(payment_id, key)
            .await
    }

    /// Creates many refunds at the default provider with at most
    /// `concurrency` in flight, results in request order. Each request keeps
    /// its own key, so the batch can be re-run after a crash. Example:
    /// [`refund_many`](crate::refund_many).
    pub fn refund_many<'a>(
        &'a self,
        requests: impl IntoIterator<Item = RefundRequest> + 'a,
        concurrency: usize,
    ) -> Result<impl Stream<Item = Result<Refund, RefundError>> + 'a, RefundError> {
        let provider = self.default_client()?.as_ref();
        Ok(refund_many(provider, requests, concurrency))
    }

    /// Cancels a refund that has not settled, where its provider supports it
    /// (`capabilities().cancel_refund`); else `Unsupported`.
    pub async fn cancel_refund(&self, refund: &RefundRef) -> Result<Refund, RefundError> {
        self.provider(refund.provider)?
            .cancel_refund(&refund.id)
            .await
    }

    /// Every refund of `payment_id` at `provider` (all pages) and the total
    /// refunded by those that did not fail or get canceled, per currency.
    pub async fn payment_refunds(
        &self,
        provider: ProviderId,
        payment_id: &str,
    ) -> Result<PaymentRefunds, RefundError> {
        let client = self.provider(provider)?;
        let mut refunds = Vec::new();
        let mut page = 1;
        loop {
            let mut query = ListRefunds::default().page(page).page_size(100);
            query.payment_id = Some(payment_id.to_string());
            let listed = client.list_refunds(&query).await?;
            let more = listed.has_more();
            refunds.extend(listed.refunds);
            if !more {
                break;
            }
            if page >= MAX_PAYMENT_PAGES {
                // A total of part of the refunds would understate what was
                // refunded: refused rather than returned short.
                return Err(RefundError::decode(
                    provider,
                    "the payment lists more refunds than refundkit reads (100 pages of 100)",
                ));
            }
            page += 1;
        }
        PaymentRefunds::new(refunds)
    }

    /// Reads a refund wherever it lives.
    pub async fn get_refund(&self, refund: &RefundRef) -> Result<Refund, RefundError> {
        self.provider(refund.provider)?.get_refund(&refund.id).await
    }

    /// Lists refunds at `provider`.
    pub async fn list_refunds(
        &self,
        provider: ProviderId,
        query: &ListRefunds,
    ) -> Result<RefundPage, RefundError> {
        self.provider(provider)?.list_refunds(query).await
    }

    /// Polls the refund until its status is final. Example:
    /// [`wait_for_final`](crate::wait_for_final).
    pub async fn wait_for_final(
        &self,
        refund: &RefundRef,
        policy: PollPolicy,
    ) -> Result<Refund, RefundError> {
        self.wait_for_final_with_progress(refund, policy, &mut |_| {})
            .await
    }

    /// [`Refunds::wait_for_final`], calling `progress` with each non-final state.
    pub async fn wait_for_final_with_progress(
        &self,
        refund: &RefundRef,
        policy: PollPolicy,
        progress: &mut (dyn FnMut(&Refund) + Send),
    ) -> Result<Refund, RefundError> {
        let client = self.provider(refund.provider)?;
        wait_for_final_with_progress(client.as_ref(), &refund.id, policy, progress).await
    }

    /// Verifies a webhook delivery from `provider` with its configured secret
    /// and returns the refund event. Pass the raw body bytes, unparsed.
    pub fn verify_webhook(
        &self,
        provider: ProviderId,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<RefundEvent, RefundError> {
        self.verify_webhook_at(provider, headers, body, OffsetDateTime::now_utc())
    }

    /// [`Refunds::verify_webhook`] against the clock `now`.
    pub fn verify_webhook_at(
        &self,
        provider: ProviderId,
        headers: &HeaderMap,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<RefundEvent, RefundError> {
        self.provider(provider)?.verify_webhook(headers, body, now)
    }
}

/// Builds [`Refunds`] from provider clients made in code.
#[derive(Default)]
#[must_use]
pub struct RefundsBuilder {
    providers: BTreeMap<ProviderId, Arc<dyn RefundProvider>>,
    default: Option<ProviderId>,
    key_namespace: Option<String>,
}

impl fmt::Debug for RefundsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefundsBuilder")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .field("default", &self.default)
            .finish()
    }
}

impl RefundsBuilder {
    /// Adds a provider client (replacing one of the same kind).
    pub fn with(self, provider: impl RefundProvider + 'static) -> Self {
        self.with_shared(Arc::new(provider))
    }

    /// Adds a shared provider client.
    pub fn with_shared(mut self, provider: Arc<dyn RefundProvider>) -> Self {
        self.providers.insert(provider.provider(), provider);
        self
    }

    /// Sends new refunds to `kind` by default.
    pub fn default_provider(mut self, kind: ProviderId) -> Self {
        self.default = Some(kind);
        self
    }

    /// The key namespace [`Refunds::key_namespace`] reports (default
    /// [`DEFAULT_KEY_NAMESPACE`]).
    pub fn key_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.key_namespace = Some(namespace.into());
        self
    }

    /// Finishes. The default must be one of the providers; with a single
    /// provider and no default, that provider is the default.
    pub fn build(self) -> Result<Refunds, RefundError> {
        let default = match (self.default, self.providers.len()) {
            (Some(kind), _) if !self.providers.contains_key(&kind) => {
                return Err(RefundError::Config(format!(
                    "default provider {kind} is not among the configured providers"
                )))
            }
            (Some(kind), _) => Some(kind),
            (None, 1) => self.providers.keys().next().copied(),
            (None, _) => None,
        };
        let key_namespace = match self.key_namespace {
            Some(namespace) if namespace.trim().is_empty() => {
                return Err(RefundError::Config(
                    "the key namespace must not be empty".into(),
                ))
            }
            Some(namespace) => namespace,
            None => DEFAULT_KEY_NAMESPACE.to_string(),
        };
        Ok(Refunds {
            providers: self.providers,
            default,
            key_namespace,
        })
    }
}
