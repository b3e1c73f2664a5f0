//! `impl RefundProvider` for UQPay: builds requests and sends them through
//! core's transport with token auth.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use http::HeaderMap;
use refundkit_core::transport::{ApiRequest, Operation, Transport};
use refundkit_core::{
    check_echo, Capabilities, ListRefunds, OffsetDateTime, ProviderKind, Refund, RefundAmount,
    RefundError, RefundEvent, RefundId, RefundPage, RefundProvider, RefundRequest, WebhookError,
};
use url::Url;

use crate::auth::{TokenAuth, CLIENT_ID_HEADER};
use crate::config::UqPayConfig;
use crate::error::UqPayErrorClassifier;
use crate::mapping::{
    check_refund_currency, list_query, page_from_wire, refund_from_wire, remaining_refundable,
    PreparedCreate,
};
use crate::token::TokenStore;
use crate::webhook;
use crate::wire::{WirePaymentIntent, WireRefund, WireRefundPage};

const IDEMPOTENCY_HEADER: &str = "x-idempotency-key";
const ON_BEHALF_OF_HEADER: &str = "x-on-behalf-of";

const CAPABILITIES: Capabilities = Capabilities::minimal()
    .with_list_refunds(true)
    .with_cancel_refund(false)
    .with_full_refunds(true)
    .with_free_text_reason(true)
    .with_webhooks(true);

/// A UQPay Global Acquiring refund client. Cheap to clone; clones share the
/// connection pool and the access token.
///
/// `Debug` never shows the API key, the token or the webhook secret.
#[derive(Clone)]
pub struct UqPayClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: UqPayConfig,
    transport: Transport,
    auth: TokenAuth,
}

impl UqPayClient {
    /// A client keeping its token where [`UqPayConfig::token_store`] says:
    /// in this process by default ([`crate::InMemoryTokenStore`]), or in a
    /// [`crate::FileTokenStore`] / `RedisTokenStore` shared with the other
    /// processes using this client id (`UQPAY_TOKEN_STORE`).
    pub fn new(config: UqPayConfig) -> Result<Self, RefundError> {
        let store = config.token_store().build(&config)?;
        Self::with_token_store(config, store)
    }

    /// A client keeping its token in `store`. Give every client of the same
    /// client id and environment the same store: each new UQPay token
    /// invalidates the previous one.
    pub fn with_token_store(
        config: UqPayConfig,
        store: Arc<dyn TokenStore>,
    ) -> Result<Self, RefundError> {
        let transport = Transport::new(
            ProviderKind::UqPay,
            config.transport().clone(),
            UqPayErrorClassifier,
        )?;
        let auth = TokenAuth::new(
            transport.clone(),
            config.base_url().join(&["v1", "connect", "token"]),
            config.client_id().to_string(),
            config.api_key().clone(),
            store,
        );
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                transport,
                auth,
            }),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &UqPayConfig {
        &self.inner.config
    }

    fn url(&self, segments: &[&str]) -> Url {
        self.inner.config.base_url().join(segments)
    }

    /// `x-client-id` goes on every call, reads included.
    fn with_client_id(&self, request: ApiRequest) -> Result<ApiRequest, RefundError> {
        request.header(CLIENT_ID_HEADER, self.inner.config.client_id())
    }

    /// Reads the payment intent (`GET /v2/payment_intents/{id}`): the decoded
    /// intent and the HTTP status of the read. A refund for a connected
    /// sub-account reads the intent as that account too: UQPay isolates each
    /// account's data, so the master account may not see it.
    async fn read_intent(
        &self,
        payment_id: &str,
        on_behalf_of: Option<&str>,
    ) -> Result<(WirePaymentIntent, u16), RefundError> {
        let url = self.url(&["v2", "payment_intents", payment_id]);
        let mut request = self.with_client_id(ApiRequest::get(Operation::GetPayment, url))?;
        if let Some(account) = on_behalf_of {
            request = request.header(ON_BEHALF_OF_HEADER, account)?;
        }
        let (intent, response) = self
            .inner
            .transport
            .send_json::<WirePaymentIntent>(&request, Some(&self.inner.auth))
            .await?;
        Ok((intent, response.status))
    }
}

impl fmt::Debug for UqPayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UqPayClient")
            .field("config", &self.inner.config)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl RefundProvider for UqPayClient {
    fn provider(&self) -> ProviderKind {
        ProviderKind::UqPay
    }

    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    /// Validates (core rules and UQPay's limits) before anything is sent, then
    /// reads the payment intent: a partial refund must be in its currency (the
    /// create has no currency field), a full refund refunds what remains.
    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, RefundError> {
        let prepared = PreparedCreate::prepare(request, self.inner.config.on_behalf_of())?;
        let payment_id = request.payment_id();
        let (intent, status) = self
            .read_intent(payment_id, prepared.on_behalf_of.as_deref())
            .await?;
        let amount = match request.amount() {
            RefundAmount::Partial(money) => {
                check_refund_currency(&intent, payment_id, money)?;
                *money
            }
            RefundAmount::Full => remaining_refundable(&intent, payment_id, status)?,
        };
        let key = request.idempotency_key();
        let url = self.url(&["v2", "payment", "refunds"]);
        let mut api = ApiRequest::post_json(Operation::CreateRefund, url, &prepared.body(&amount))?
            .idempotency_key(IDEMPOTENCY_HEADER, key);
        api = self.with_client_id(api)?;
        if let Some(account) = &prepared.on_behalf_of {
            api = api.header(ON_BEHALF_OF_HEADER, account)?;
        }
        let transport = &self.inner.transport;
        let (wire, response) = transport
            .send_json::<WireRefund>(&api, Some(&self.inner.auth))
            .await?;
        let mut refund =
            transport.after_delivery(&api, refund_from_wire(wire, response.raw_json()))?;
        // UQPay's refund object does not name its payment intent.
        refund.payment_id = Some(payment_id.to_string());
        check_echo(refund, Some(amount.currency()), Some(&amount))
    }

    async fn get_refund(&self, id: &RefundId) -> Result<Refund, RefundError> {
        let url = self.url(&["v2", "payment", "refunds", id.as_str()]);
        let request = self.with_client_id(ApiRequest::get(Operation::GetRefund, url))?;
        let (wire, response) = self
            .inner
            .transport
            .send_json::<WireRefund>(&request, Some(&self.inner.auth))
            .await?;
        let refund = refund_from_wire(wire, response.raw_json())?;
        if refund.id != *id {
            return Err(RefundError::decode(
                ProviderKind::UqPay,
                format!("asked for refund {id}, got refund {}", refund.id),
            ));
        }
        Ok(refund)
    }

    async fn list_refunds(&self, query: &ListRefunds) -> Result<RefundPage, RefundError> {
        let pairs = list_query(query)?;
        let mut url = self.url(&["v2", "payment", "refunds"]);
        url.query_pairs_mut().extend_pairs(pairs);
        let request = self.with_client_id(ApiRequest::get(Operation::ListRefunds, url))?;
        let (page, _) = self
            .inner
            .transport
            .send_json::<WireRefundPage>(&request, Some(&self.inner.auth))
            .await?;
        page_from_wire(page, query)
    }

    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<RefundEvent, RefundError> {
        let config = &self.inner.config;
        let secret = config.webhook_secret().ok_or(WebhookError::NoSecret)?;
        Ok(webhook::verify_and_parse_with_tolerance(
            secret,
            headers,
            body,
            now,
            config.webhook_tolerance(),
        )?)
    }
}
