//! `impl RefundProvider` for UQPay: builds requests and sends them through
//! core's transport with token auth.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use http::{HeaderMap, HeaderValue};
use refundkit_core::transport::{ApiRequest, Authenticator, Operation, Transport};
use refundkit_core::{
    check_echo, check_provider_id, Capabilities, IdempotencyKey, ListRefunds, Money,
    OffsetDateTime, Refund, RefundAmount, RefundError, RefundEvent, RefundId, RefundPage,
    RefundProvider, RefundRequest, WebhookError,
};
use url::Url;

/// Reads a payment intent (no money moves).
const GET_PAYMENT: Operation = Operation::Other("get_payment");

use crate::auth::{TokenAuth, CLIENT_ID_HEADER};
use crate::config::UqPayConfig;
use crate::currency_cache::{CurrencyCache, CurrencyCheck};
use crate::error::UqPayErrorClassifier;
use crate::mapping::{
    check_cached_currency, check_refund_currency, find_in_page, intent_created_at, list_query,
    nothing_left, page_from_wire, refund_from_wire, remaining_refundable, search_windows,
    PreparedCreate,
};
use crate::token::TokenStore;
use crate::webhook;
use crate::wire::{WirePaymentIntent, WireRefund, WireRefundPage};

const IDEMPOTENCY_HEADER: &str = "x-idempotency-key";
/// List pages (of 100) a search for a refund by key reads before giving up.
const MAX_LIST_PAGES: usize = 100;
const ON_BEHALF_OF_HEADER: &str = "x-on-behalf-of";

const CAPABILITIES: Capabilities = Capabilities::minimal()
    .with_list_refunds(true)
    .with_cancel_refund(false)
    .with_full_refunds(true)
    .with_free_text_reason(true)
    .with_webhooks(true)
    .with_find_by_key(true);

/// A UQPay Global Acquiring refund client. Cheap to clone; clones share the
/// connection pool and the access token.
///
/// `Debug` never shows the API key, the token or the webhook secret.
///
/// # Example
///
/// Against the testkit's UQPay simulator: a partial refund, then a full one
/// (UQPay needs an amount, so the client reads what remains on the payment
/// intent), then the payment's refunds listed.
///
/// ```
/// use refundkit_core::{ListRefunds, Money, RefundAmount, RefundReason, RefundRequest};
/// use refundkit_testkit::{Route, Simulator};
/// use refundkit_uqpay::{RefundProvider, SecretString, UqPayClient, UqPayConfig};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sim = Simulator::start().await?;
/// let payment = sim.uqpay().seed_captured(Money::parse("8.88", "SGD")?);
/// let config = UqPayConfig::builder(sim.uqpay_client_id(), SecretString::from(sim.uqpay_api_key()))
///     .base_url(&sim.uqpay_base_url())
///     .build()?;
/// let client = UqPayClient::new(config)?;
///
/// let part = RefundAmount::Partial(Money::parse("3.00", "SGD")?);
/// let request = RefundRequest::builder(payment.as_str(), part, RefundReason::RequestedByCustomer);
/// client.create_refund(&request.build()?).await?;
/// let request = RefundRequest::builder(payment.as_str(), RefundAmount::Full, RefundReason::Duplicate);
/// let rest = client.create_refund(&request.build()?).await?;
/// assert_eq!(rest.amount, Money::parse("5.88", "SGD")?); // what remained
/// assert_eq!(rest.payment_id.as_deref(), Some(payment.as_str()));
///
/// let mut query = ListRefunds::default();
/// query.payment_id = Some(payment.clone());
/// assert_eq!(client.list_refunds(&query).await?.refunds.len(), 2);
/// // One token for every call of this client (and its clones).
/// assert_eq!(sim.uqpay().call_count(Route::Token), 1);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct UqPayClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: UqPayConfig,
    transport: Transport,
    auth: TokenAuth,
    currencies: CurrencyCache,
    /// `x-client-id`, made once.
    client_id: HeaderValue,
    /// `POST /v2/payment/refunds`, joined once.
    refunds_url: Url,
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
            crate::PROVIDER,
            config.transport().clone(),
            UqPayErrorClassifier,
        )?;
        transport.secrets().add(config.api_key());
        if let Some(secret) = config.webhook_secret() {
            transport.secrets().add(secret);
        }
        let auth = TokenAuth::new(
            transport.clone(),
            config.base_url().join(&["v1", "connect", "token"]),
            config.client_id().to_string(),
            config.api_key().clone(),
            store,
            config.clock().clone(),
        );
        // The config refuses a client id that is not header text.
        let client_id = HeaderValue::from_str(config.client_id()).map_err(|_| {
            RefundError::Config(format!("{CLIENT_ID_HEADER} is not valid header text"))
        })?;
        let refunds_url = config.base_url().join(&["v2", "payment", "refunds"]);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                transport,
                auth,
                currencies: CurrencyCache::default(),
                client_id,
                refunds_url,
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
        Ok(request.prepared_header(CLIENT_ID_HEADER, &self.inner.client_id))
    }

    /// A partial refund's amount when no read is needed: the currency check is
    /// trusted to the caller, or the payment's currency is remembered (and
    /// matches). Not async: the common case builds no request future at all.
    fn known_amount(
        &self,
        request: &RefundRequest,
        on_behalf_of: Option<&str>,
    ) -> Result<Option<Money>, RefundError> {
        let RefundAmount::Partial(money) = request.amount() else {
            return Ok(None);
        };
        match self.inner.config.currency_check() {
            CurrencyCheck::Trusted => Ok(Some(*money)),
            CurrencyCheck::Cached => {
                let payment_id = request.payment_id();
                match self.inner.currencies.get(on_behalf_of, payment_id) {
                    Some(currency) => {
                        check_cached_currency(currency, payment_id, money)?;
                        Ok(Some(*money))
                    }
                    None => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }

    /// The amount to refund, read from the payment intent
    /// (`GET /v2/payment_intents/{id}`): a partial refund must be in the
    /// intent's currency (the create has no currency field), a full refund
    /// refunds what remains. A refund for a connected sub-account reads the
    /// intent as that account too: UQPay isolates each account's data, so the
    /// master account may not see it.
    async fn read_amount(
        &self,
        request: &RefundRequest,
        on_behalf_of: Option<&str>,
    ) -> Result<Option<Money>, RefundError> {
        let payment_id = request.payment_id();
        let currencies = &self.inner.currencies;
        let remember = self.inner.config.currency_check() == CurrencyCheck::Cached;
        let url = self.url(&["v2", "payment_intents", payment_id]);
        let mut read = self.with_client_id(ApiRequest::get(GET_PAYMENT, url))?;
        if let Some(account) = on_behalf_of {
            read = read.header(ON_BEHALF_OF_HEADER, account)?;
        }
        let auth = Some(&self.inner.auth as &dyn Authenticator);
        self.inner
            .transport
            .call(&read, auth, |intent: WirePaymentIntent, _| {
                match request.amount() {
                    RefundAmount::Partial(money) => {
                        let currency = check_refund_currency(&intent, payment_id, money)?;
                        if remember {
                            currencies.insert(on_behalf_of, payment_id, currency);
                        }
                        Ok(Some(*money))
                    }
                    RefundAmount::Full => remaining_refundable(&intent, payment_id),
                }
            })
            .await
    }

    /// The refund on `payment_id` stamped with `key`: lists the payment's
    /// refunds window by window (UQPay lists at most 3 months per query),
    /// from now back to the payment's creation, every page of each.
    async fn find_by_key(
        &self,
        payment_id: &str,
        key: &IdempotencyKey,
        on_behalf_of: Option<&str>,
    ) -> Result<Option<Refund>, RefundError> {
        let transport = &self.inner.transport;
        let auth = Some(&self.inner.auth as &dyn Authenticator);
        let url = self.url(&["v2", "payment_intents", payment_id]);
        let mut read = self.with_client_id(ApiRequest::get(GET_PAYMENT, url))?;
        if let Some(account) = on_behalf_of {
            read = read.header(ON_BEHALF_OF_HEADER, account)?;
        }
        let created = transport
            .call(&read, auth, |intent: WirePaymentIntent, _| {
                Ok(intent_created_at(&intent))
            })
            .await?;
        let mut pages = 0;
        for (start, end) in search_windows(self.inner.config.clock().now_utc(), created) {
            let mut page = 1;
            loop {
                // An answer that never ends (a page count past belief, a
                // creation time in the far past) is not "no such refund".
                if pages == MAX_LIST_PAGES {
                    return Err(RefundError::decode(crate::PROVIDER, format!(
                        "the search of payment {payment_id} for a refund by key ran past {MAX_LIST_PAGES} list pages"
                    )));
                }
                pages += 1;
                let mut query = ListRefunds::default().page(page).page_size(100);
                query.payment_id = Some(payment_id.to_string());
                query.created_from = Some(start);
                query.created_to = Some(end);
                let mut url = self.url(&["v2", "payment", "refunds"]);
                url.query_pairs_mut().extend_pairs(list_query(&query)?);
                let mut list = self.with_client_id(ApiRequest::get(Operation::ListRefunds, url))?;
                if let Some(account) = on_behalf_of {
                    list = list.header(ON_BEHALF_OF_HEADER, account)?;
                }
                let (found, total_pages) = transport
                    .call(&list, auth, |wire: WireRefundPage, _| {
                        find_in_page(wire, payment_id, key)
                    })
                    .await?;
                if found.is_some() {
                    return Ok(found);
                }
                if total_pages.is_none_or(|total| u64::from(page) >= total) {
                    break;
                }
                page = page.saturating_add(1);
            }
        }
        Ok(None)
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
    fn provider(&self) -> refundkit_core::ProviderId {
        crate::PROVIDER
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
        let on_behalf_of = prepared.on_behalf_of.as_deref();
        // The remembered currency first, without building the read's future.
        let amount = match self.known_amount(request, on_behalf_of)? {
            Some(amount) => Ok(Some(amount)),
            None => self.read_amount(request, on_behalf_of).await,
        };
        let amount = match amount {
            Ok(Some(amount)) => amount,
            // A full refund with nothing left may be this very refund, made
            // earlier with this key (its answer lost): replay it as UQPay would.
            Ok(None) => {
                // Boxed: the search's future is large, and this is the rare path.
                let search = self.find_by_key(payment_id, request.idempotency_key(), on_behalf_of);
                return match Box::pin(search).await {
                    Ok(Some(refund)) => Ok(refund),
                    Ok(None) => Err(nothing_left(payment_id)),
                    // Our earlier create may be what left nothing; the search
                    // could not say: unknown, not a refusal (as WooshPay's).
                    Err(lookup) => Err(RefundError::OutcomeUnknown {
                        provider: crate::PROVIDER,
                        idempotency_key: *request.idempotency_key(),
                        source: Box::new(lookup),
                    }),
                };
            }
            Err(error) => return Err(error),
        };
        let key = request.idempotency_key();
        let url = self.inner.refunds_url.clone();
        let mut api = ApiRequest::post_json(Operation::CreateRefund, url, &prepared.body(&amount))?
            .idempotency_key(IDEMPOTENCY_HEADER, key);
        api = self.with_client_id(api)?;
        if let Some(account) = &prepared.on_behalf_of {
            api = api.header(ON_BEHALF_OF_HEADER, account)?;
        }
        self.inner
            .transport
            .call(
                &api,
                Some(&self.inner.auth),
                |wire: WireRefund, response| {
                    let mut refund = refund_from_wire(wire, response.raw_json())?;
                    // UQPay's refund object does not name its payment intent.
                    refund.payment_id = Some(payment_id.to_string());
                    check_echo(refund, Some(amount.currency()), Some(&amount))
                },
            )
            .await
    }

    async fn get_refund(&self, id: &RefundId) -> Result<Refund, RefundError> {
        let url = self.url(&["v2", "payment", "refunds", id.as_str()]);
        let request = self.with_client_id(ApiRequest::get(Operation::GetRefund, url))?;
        self.inner
            .transport
            .call(
                &request,
                Some(&self.inner.auth),
                |wire: WireRefund, response| {
                    refundkit_core::check_same_refund(
                        id,
                        refund_from_wire(wire, response.raw_json())?,
                    )
                },
            )
            .await
    }

    async fn find_refund_by_key(
        &self,
        payment_id: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Refund>, RefundError> {
        check_provider_id("payment_id", payment_id)?;
        self.find_by_key(payment_id, key, self.inner.config.on_behalf_of())
            .await
    }

    /// Searches the sub-account the request's create went to (its
    /// `UqPayOptions::on_behalf_of`, else the configured one): UQPay keeps
    /// each account's refunds apart, so searching another would say "none".
    async fn find_refund_for(
        &self,
        request: &RefundRequest,
    ) -> Result<Option<Refund>, RefundError> {
        let prepared = PreparedCreate::prepare(request, self.inner.config.on_behalf_of())?;
        self.find_by_key(
            request.payment_id(),
            request.idempotency_key(),
            prepared.on_behalf_of.as_deref(),
        )
        .await
    }

    async fn list_refunds(&self, query: &ListRefunds) -> Result<RefundPage, RefundError> {
        let pairs = list_query(query)?;
        let mut url = self.url(&["v2", "payment", "refunds"]);
        url.query_pairs_mut().extend_pairs(pairs);
        let request = self.with_client_id(ApiRequest::get(Operation::ListRefunds, url))?;
        self.inner
            .transport
            .call(
                &request,
                Some(&self.inner.auth),
                |page: WireRefundPage, _| page_from_wire(page, query),
            )
            .await
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
