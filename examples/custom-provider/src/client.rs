//! The HTTP shell: each call described once and sent through the toolkit's
//! transport, which retries with the same idempotency key, turns a lost
//! create answer into `OutcomeUnknown` and scrubs the API key.

use async_trait::async_trait;
use refundkit::toolkit::transport::{ApiRequest, BaseUrl, Operation, Transport};
use refundkit::toolkit::{check_same_refund, find_stamped};
use refundkit::{
    Capabilities, ExposeSecret, IdempotencyKey, ListRefunds, ProviderId, ProviderOptions, Refund,
    RefundError, RefundId, RefundPage, RefundProvider, RefundRequest, SecretString,
    ValidationError,
};

use crate::mapping::{check_created, create_body, decode_refund, to_refund, LedgerErrorClassifier};
use crate::wire::{WirePage, WireRefund};
use crate::{LedgerConfig, LEDGER};

const CAPABILITIES: Capabilities = Capabilities::minimal()
    .with_list_refunds(true)
    .with_full_refunds(true)
    .with_free_text_reason(true)
    .with_find_by_key(true);

/// Page size of the search by key (the service's largest).
const SEARCH_PAGE_SIZE: u32 = 100;
/// Pages the search by key reads before giving up.
const MAX_SEARCH_PAGES: u32 = 100;

/// The ledger's refunds as a [`RefundProvider`]. Cheap to clone; `Debug`
/// never shows the API key.
///
/// ```
/// use refundkit::{RefundProvider, SecretString};
/// use refundkit_example_ledger::{LedgerClient, LedgerConfig, LEDGER};
///
/// let config = LedgerConfig::new("https://ledger.internal.example", SecretString::from("lk_1"))?;
/// let client = LedgerClient::new(config)?;
/// assert_eq!(client.provider(), LEDGER);
/// assert!(client.capabilities().find_by_key);
/// assert!(!format!("{client:?}").contains("lk_1"));
/// # Ok::<(), refundkit::RefundError>(())
/// ```
#[derive(Debug, Clone)]
pub struct LedgerClient {
    transport: Transport,
    base_url: BaseUrl,
    authorization: SecretString,
}

impl LedgerClient {
    /// A client for the ledger `config` describes. The API key is
    /// registered with the transport, so no error ever quotes it.
    pub fn new(config: LedgerConfig) -> Result<Self, RefundError> {
        let transport = Transport::new(LEDGER, config.transport, LedgerErrorClassifier)?;
        transport.secrets().add(&config.api_key);
        let authorization = format!("Bearer {}", config.api_key.expose_secret());
        Ok(Self {
            transport,
            base_url: config.base_url,
            authorization: SecretString::from(authorization),
        })
    }

    fn request(&self, request: ApiRequest) -> Result<ApiRequest, RefundError> {
        request.secret_header("authorization", &self.authorization)
    }

    async fn read_refund(&self, api: ApiRequest) -> Result<Refund, RefundError> {
        self.transport
            .call(&api, None, |wire: WireRefund, answer| {
                to_refund(wire, answer.raw_json())
            })
            .await
    }

    /// One page of the service's list: its raw refunds and the total.
    async fn list_page(
        &self,
        payment_id: Option<&str>,
        page: u32,
        page_size: u32,
    ) -> Result<(Vec<serde_json::Value>, u64), RefundError> {
        let mut url = self.base_url.join(&["v1", "refunds"]);
        if let Some(payment_id) = payment_id {
            url.query_pairs_mut().append_pair("payment_id", payment_id);
        }
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("page_size", &page_size.to_string());
        let api = self.request(ApiRequest::get(Operation::ListRefunds, url))?;
        self.transport
            .call(&api, None, |page: WirePage, _| {
                Ok((page.refunds, page.total))
            })
            .await
    }
}

#[async_trait]
impl RefundProvider for LedgerClient {
    fn provider(&self) -> ProviderId {
        LEDGER
    }

    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, RefundError> {
        request.validate()?;
        let body = create_body(request)?;
        let url = self.base_url.join(&["v1", "refunds"]);
        let api = self
            .request(ApiRequest::post_json(Operation::CreateRefund, url, &body)?)?
            .idempotency_key("idempotency-key", request.idempotency_key());
        self.transport
            .call(&api, None, |wire: WireRefund, answer| {
                check_created(to_refund(wire, answer.raw_json())?, request)
            })
            .await
    }

    async fn get_refund(&self, id: &RefundId) -> Result<Refund, RefundError> {
        let url = self.base_url.join(&["v1", "refunds", id.as_str()]);
        let refund = self
            .read_refund(self.request(ApiRequest::get(Operation::GetRefund, url))?)
            .await?;
        // An answer about another refund is not this one's state.
        check_same_refund(id, refund)
    }

    async fn list_refunds(&self, query: &ListRefunds) -> Result<RefundPage, RefundError> {
        query.validate()?;
        ProviderOptions::for_provider(query.provider_options.as_ref(), LEDGER, &[])?;
        if query.created_from.is_some() || query.created_to.is_some() {
            let why = "the ledger does not filter by date";
            return Err(ValidationError::new("created_from", why).into());
        }
        let (items, total) = self
            .list_page(query.payment_id.as_deref(), query.page, query.page_size)
            .await?;
        let refunds = items
            .into_iter()
            .map(decode_refund)
            .collect::<Result<Vec<_>, _>>()?;
        let mut page = RefundPage::new(refunds, query.page);
        page.total_items = Some(total);
        page.total_pages = Some(total.div_ceil(u64::from(query.page_size)));
        Ok(page)
    }

    /// Pages through the payment's refunds for the one stamped with `key`.
    async fn find_refund_by_key(
        &self,
        payment_id: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Refund>, RefundError> {
        let mut seen: u64 = 0;
        for page in 1..=MAX_SEARCH_PAGES {
            let (items, total) = self
                .list_page(Some(payment_id), page, SEARCH_PAGE_SIZE)
                .await?;
            let count = items.len() as u64;
            if let Some(refund) = find_stamped(items, key, decode_refund)? {
                return Ok(Some(refund));
            }
            seen = seen.saturating_add(count);
            // An empty page ends the search too: a miscounting service
            // cannot keep it going.
            if count == 0 || seen >= total {
                return Ok(None);
            }
        }
        // A service that never stops listing has not said "no such refund".
        Err(RefundError::decode(
            LEDGER,
            "the payment lists more refunds than the search pages through (10,000)",
        ))
    }
}
