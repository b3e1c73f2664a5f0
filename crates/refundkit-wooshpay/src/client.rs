//! `impl RefundProvider` for WooshPay: builds requests, sends them through
//! core's transport, maps the answers.

use std::fmt;

use async_trait::async_trait;
use http::HeaderMap;
use refundkit_core::transport::{ApiRequest, Operation, Transport};
use refundkit_core::{
    check_echo, check_provider_id, Capabilities, ErrorKind, IdempotencyKey, ListRefunds,
    OffsetDateTime, Refund, RefundAmount, RefundError, RefundEvent, RefundId, RefundPage,
    RefundProvider, RefundRequest, WebhookError,
};
use url::Url;

use crate::auth::BasicAuth;
use crate::config::WooshPayConfig;
use crate::error::WooshPayErrorClassifier;
use crate::mapping::{create_body, find_in_list, refund_from_wire};
use crate::webhook;
use crate::wire::{WireRefund, WireRefundList};

use crate::PROVIDER;
/// Pages of 100 searched for a refund by key before giving up.
const MAX_LIST_PAGES: usize = 100;
const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// What WooshPay supports: create and get, full refunds by omitting the
/// amount, an enum reason, signed webhooks. No list or cancel endpoint is
/// documented, so neither is offered.
const CAPABILITIES: Capabilities = Capabilities::minimal()
    .with_list_refunds(false)
    .with_cancel_refund(false)
    .with_full_refunds(true)
    .with_free_text_reason(false)
    .with_webhooks(true)
    .with_find_by_key(true);

/// A WooshPay refunds client. Cheap to clone; reuse one per secret key.
///
/// `Debug` never shows the secret key or the webhook secret.
///
/// # Example
///
/// Against the testkit's WooshPay simulator: a refund sent in minor units,
/// read back, and found again by its idempotency key (WooshPay documents no
/// refund list, so `list_refunds` is `Unsupported`).
///
/// ```
/// use refundkit_core::{
///     IdempotencyKey, ListRefunds, Money, RefundAmount, RefundError, RefundProvider, RefundReason,
///     RefundRequest, SecretString,
/// };
/// use refundkit_testkit::Simulator;
/// use refundkit_wooshpay::{WooshPayClient, WooshPayConfig};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sim = Simulator::start().await?;
/// let payment = sim.wooshpay().seed_captured(Money::parse("10.00", "USD")?);
/// let config = WooshPayConfig::builder(SecretString::from(sim.wooshpay_secret_key()))
///     .base_url(&sim.wooshpay_base_url())
///     .build()?;
/// let client = WooshPayClient::new(config)?;
///
/// let key = IdempotencyKey::derive("shop", "order-42/refund-1")?;
/// let amount = RefundAmount::Partial(Money::parse("2.50", "USD")?);
/// let request = RefundRequest::builder(payment.as_str(), amount, RefundReason::Duplicate)
///     .idempotency_key(key)
///     .build()?;
/// let refund = client.create_refund(&request).await?;
/// let sent = sim.wooshpay().journal().last().and_then(|entry| entry.json());
/// assert_eq!(sent.map(|body| body["amount"].clone()), Some(250.into())); // cents
///
/// assert_eq!(client.get_refund(&refund.id).await?.amount, refund.amount);
/// let found = client.find_refund_by_key(&payment, &key).await?;
/// assert_eq!(found.map(|r| r.id), Some(refund.id));
/// let list = client.list_refunds(&ListRefunds::default()).await;
/// assert!(matches!(list, Err(RefundError::Unsupported { .. })));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WooshPayClient {
    config: WooshPayConfig,
    transport: Transport,
    auth: BasicAuth,
    /// `POST /v1/refunds`, joined once.
    refunds_url: Url,
}

impl WooshPayClient {
    /// A client for `config`, with its own pooled HTTP connection.
    pub fn new(config: WooshPayConfig) -> Result<Self, RefundError> {
        let transport =
            Transport::new(PROVIDER, config.transport.clone(), WooshPayErrorClassifier)?;
        let auth = BasicAuth::new(&config.secret_key)?;
        let secrets = transport.secrets();
        secrets.add(&config.secret_key);
        secrets.add(&auth.encoded);
        secrets.add(&auth.header_value);
        if let Some(secret) = &config.webhook_secret {
            secrets.add(secret);
        }
        let refunds_url = config.base_url.join(&["v1", "refunds"]);
        Ok(Self {
            config,
            transport,
            auth,
            refunds_url,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &WooshPayConfig {
        &self.config
    }

    /// Sends `request` with Basic auth, decodes a Refund object, maps it and
    /// checks it with `check`. Core makes every failure after a create was
    /// answered `OutcomeUnknown` (the refund exists).
    async fn send_for_refund(
        &self,
        request: &ApiRequest,
        check: impl FnOnce(Refund) -> Result<Refund, RefundError>,
    ) -> Result<Refund, RefundError> {
        let exponents = &self.config.exponents;
        self.transport
            .call(request, Some(&self.auth), |wire: WireRefund, response| {
                refund_from_wire(wire, response.raw_json(), exponents).and_then(check)
            })
            .await
    }
}

impl fmt::Debug for WooshPayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WooshPayClient")
            .field("config", &self.config)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl RefundProvider for WooshPayClient {
    fn provider(&self) -> refundkit_core::ProviderId {
        PROVIDER
    }

    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, RefundError> {
        let body = create_body(request, &self.config.exponents)?;
        let api = ApiRequest::post_json(Operation::CreateRefund, self.refunds_url.clone(), &body)?
            .idempotency_key(IDEMPOTENCY_HEADER, request.idempotency_key());
        let created = self
            .send_for_refund(&api, |refund| {
                check_payment_echo(refund, request.payment_id()).and_then(|refund| {
                    match request.amount() {
                        RefundAmount::Partial(money) => {
                            check_echo(refund, Some(money.currency()), Some(money))
                        }
                        RefundAmount::Full => check_echo(refund, None, None),
                    }
                })
            })
            .await;
        let refund = match created {
            // A full refund refused as "already refunded" may be this very
            // refund, made earlier with this key after the provider forgot
            // it: replay it as a create inside the window would.
            Err(error @ RefundError::Provider(_))
                if request.amount() == &RefundAmount::Full
                    && error.kind() == Some(ErrorKind::RefundExceedsAvailable) =>
            {
                match self
                    .find_refund_by_key(request.payment_id(), request.idempotency_key())
                    .await
                {
                    Ok(Some(refund)) => refund,
                    Ok(None) => return Err(error),
                    // Our earlier refund may be what made it "already
                    // refunded"; the lookup could not say: unknown, not a
                    // refusal.
                    Err(lookup) => {
                        return Err(RefundError::OutcomeUnknown {
                            provider: PROVIDER,
                            idempotency_key: *request.idempotency_key(),
                            source: Box::new(lookup),
                        })
                    }
                }
            }
            other => other?,
        };
        tracing::debug!(refund_id = %refund.id, status = %refund.status, "wooshpay refund created");
        Ok(refund)
    }

    async fn get_refund(&self, id: &RefundId) -> Result<Refund, RefundError> {
        let url = self.config.base_url.join(&["v1", "refunds", id.as_str()]);
        let api = ApiRequest::get(Operation::GetRefund, url)
            .header("content-type", "application/json")?;
        self.send_for_refund(&api, |refund| refundkit_core::check_same_refund(id, refund))
            .await
    }

    /// Pages through `GET /v1/refunds?payment_intent=…` (Stripe's list,
    /// assumed for WooshPay: `docs/wire-assumptions.md`) for the refund
    /// stamped with `key`.
    async fn find_refund_by_key(
        &self,
        payment_id: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Refund>, RefundError> {
        check_provider_id("payment_id", payment_id)?;
        let exponents = &self.config.exponents;
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let mut url = self.config.base_url.join(&["v1", "refunds"]);
            url.query_pairs_mut()
                .append_pair("payment_intent", payment_id)
                .append_pair("limit", "100");
            if let Some(after) = &cursor {
                url.query_pairs_mut().append_pair("starting_after", after);
            }
            let api = ApiRequest::get(Operation::ListRefunds, url);
            let (found, next) = self
                .transport
                .call(&api, Some(&self.auth), |list: WireRefundList, _| {
                    find_in_list(list, key, exponents)
                })
                .await?;
            match (found, next) {
                (Some(refund), _) => return Ok(Some(refund)),
                (None, None) => return Ok(None),
                (None, Some(next)) => cursor = Some(next),
            }
        }
        Err(RefundError::decode(
            PROVIDER,
            "the payment lists more refunds than refundkit pages through (10,000)",
        ))
    }

    async fn list_refunds(&self, _query: &ListRefunds) -> Result<RefundPage, RefundError> {
        Err(RefundError::Unsupported {
            provider: PROVIDER,
            operation: "list_refunds",
        })
    }

    async fn cancel_refund(&self, _id: &RefundId) -> Result<Refund, RefundError> {
        Err(RefundError::Unsupported {
            provider: PROVIDER,
            operation: "cancel_refund",
        })
    }

    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<RefundEvent, RefundError> {
        let secret = self
            .config
            .webhook_secret
            .as_ref()
            .ok_or(WebhookError::NoSecret)?;
        let event = webhook::verify_and_parse_with(
            secret,
            headers,
            body,
            now,
            self.config.webhook_tolerance,
            &self.config.exponents,
        )?;
        Ok(event)
    }
}

/// Refuses a created refund that names another payment than requested; one
/// that names none is the answer to our create, so it is about our payment.
fn check_payment_echo(mut refund: Refund, payment_id: &str) -> Result<Refund, RefundError> {
    if refund.payment_id.is_none() {
        refund.payment_id = Some(payment_id.to_string());
    }
    match refund.payment_id.as_deref() {
        Some(echoed) if echoed != payment_id => {
            let actual = echoed.to_string();
            Err(RefundError::IntegrityMismatch {
                refund: Box::new(refund),
                field: "payment_id",
                expected: payment_id.to_string(),
                actual,
            })
        }
        _ => Ok(refund),
    }
}
