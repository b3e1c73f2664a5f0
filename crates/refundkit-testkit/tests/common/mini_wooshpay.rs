//! A minimal WooshPay client written from the provider docs and
//! `docs/wire-assumptions.md`, on core's transport, so the conformance suite
//! and the fault table can be exercised over HTTP inside this crate.

use async_trait::async_trait;
use refundkit_core::transport::{
    ApiRequest, BaseUrl, ErrorClassifier, ErrorResponse, Operation, Transport, TransportConfig,
};
use refundkit_core::{
    Capabilities, Currency, ErrorKind, IdempotencyKey, ListRefunds, Money, ProviderError,
    ProviderId, Refund, RefundAmount, RefundError, RefundId, RefundPage, RefundProvider,
    RefundRequest, RefundStatus, SecretString, KEY_METADATA,
};
use refundkit_testkit::{wooshpay_exponent, ProviderSim, SimCredentials};
use serde_json::{json, Value};

const REASONS: [&str; 4] = [
    "duplicate",
    "fraudulent",
    "requested_by_customer",
    "resolved_dispute",
];

#[derive(Debug)]
struct Classifier;

impl ErrorClassifier for Classifier {
    fn classify(&self, _: Operation, response: &ErrorResponse) -> ProviderError {
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        let code = body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let kind = match (response.status, code.as_str()) {
            (_, "resource_missing") => ErrorKind::NotFound,
            (_, "amount_too_large" | "charge_already_refunded") => {
                ErrorKind::RefundExceedsAvailable
            }
            (409, "idempotency_key_in_use") => ErrorKind::RequestInProgress,
            (409, _) => ErrorKind::IdempotencyConflict,
            (401, _) => ErrorKind::Authentication,
            (402, _) => ErrorKind::PaymentNotRefundable,
            (403, _) => ErrorKind::PermissionDenied,
            (404, _) => ErrorKind::NotFound,
            (429, _) => ErrorKind::RateLimited,
            (500..=599, _) => ErrorKind::ProviderUnavailable,
            (400, _) => ErrorKind::InvalidRequest,
            _ => ErrorKind::Other,
        };
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or("no message")
            .to_string();
        ProviderError::new(
            refundkit::wooshpay::PROVIDER,
            kind,
            response.status,
            message,
        )
        .with_code(code)
    }
}

#[derive(Debug)]
pub struct MiniWooshPay {
    transport: Transport,
    base: BaseUrl,
    authorization: SecretString,
    capabilities: Capabilities,
}

impl MiniWooshPay {
    pub fn new(sim: &ProviderSim, config: TransportConfig) -> Result<Self, RefundError> {
        let SimCredentials::WooshPay { secret_key } = sim.credentials() else {
            return Err(RefundError::Config("not a WooshPay simulator".into()));
        };
        Ok(Self {
            transport: Transport::new(refundkit::wooshpay::PROVIDER, config, Classifier)?,
            base: BaseUrl::parse("base url", sim.base_url())?,
            authorization: SecretString::from(super::basic(secret_key)),
            capabilities: Capabilities::minimal().with_find_by_key(true),
        })
    }

    fn to_refund(body: &Value) -> Result<Refund, RefundError> {
        let decode =
            |what: &str| RefundError::decode(refundkit::wooshpay::PROVIDER, what.to_string());
        let currency = Currency::new(
            body["currency"]
                .as_str()
                .ok_or_else(|| decode("currency"))?,
        )
        .map_err(|e| decode(&e.to_string()))?;
        let minor = body["amount"].as_i64().ok_or_else(|| decode("amount"))?;
        let amount = Money::from_minor_units_at(minor, currency, wooshpay_exponent(currency))
            .map_err(|e| decode(&e.to_string()))?;
        let id = RefundId::new(body["id"].as_str().ok_or_else(|| decode("id"))?)
            .map_err(|e| decode(&e.to_string()))?;
        let status = RefundStatus::from_name(body["status"].as_str().unwrap_or_default());
        let mut refund = Refund::new(refundkit::wooshpay::PROVIDER, id, amount, status);
        refund.payment_id = body["payment_intent"].as_str().map(str::to_string);
        if let Some(metadata) = body["metadata"].as_object() {
            refund.metadata = metadata
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect();
        }
        refund.raw = refundkit_core::RawJson::from_value(body);
        Ok(refund)
    }
}

#[async_trait]
impl RefundProvider for MiniWooshPay {
    fn provider(&self) -> ProviderId {
        refundkit::wooshpay::PROVIDER
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, RefundError> {
        request.validate()?;
        let mut body = json!({
            "payment_intent": request.payment_id(),
            "metadata": request.provider_metadata(),
        });
        if let RefundAmount::Partial(money) = request.amount() {
            let minor = money
                .to_minor_units_at(wooshpay_exponent(money.currency()))
                .map_err(|e| refundkit_core::ValidationError::money("amount", e))?;
            body["amount"] = json!(minor);
        }
        if REASONS.contains(&request.reason().as_code()) {
            body["reason"] = json!(request.reason().as_code());
        }
        let url = self.base.join(&["v1", "refunds"]);
        let api = ApiRequest::post_json(Operation::CreateRefund, url, &body)?
            .secret_header("authorization", &self.authorization)?
            .idempotency_key("idempotency-key", request.idempotency_key());
        self.transport
            .call(&api, None, |answer: Value, _| Self::to_refund(&answer))
            .await
    }

    async fn get_refund(&self, id: &RefundId) -> Result<Refund, RefundError> {
        let url = self.base.join(&["v1", "refunds", id.as_str()]);
        let api = ApiRequest::get(Operation::GetRefund, url)
            .secret_header("authorization", &self.authorization)?;
        self.transport
            .call(&api, None, |answer: Value, _| Self::to_refund(&answer))
            .await
    }

    /// Stripe's list (`docs/wire-assumptions.md`), 100 a page, newest first.
    async fn find_refund_by_key(
        &self,
        payment_id: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Refund>, RefundError> {
        let mut after: Option<String> = None;
        loop {
            let mut url = self.base.join(&["v1", "refunds"]);
            url.query_pairs_mut()
                .append_pair("payment_intent", payment_id)
                .append_pair("limit", "100");
            if let Some(after) = &after {
                url.query_pairs_mut().append_pair("starting_after", after);
            }
            let api = ApiRequest::get(Operation::ListRefunds, url)
                .secret_header("authorization", &self.authorization)?;
            let page: Value = self
                .transport
                .call(&api, None, |answer: Value, _| Ok(answer))
                .await?;
            let items = page["data"].as_array().cloned().unwrap_or_default();
            for item in &items {
                if item["metadata"][KEY_METADATA].as_str() == Some(key.to_string().as_str()) {
                    return Self::to_refund(item).map(Some);
                }
            }
            match (page["has_more"].as_bool(), items.last()) {
                (Some(true), Some(last)) => after = last["id"].as_str().map(str::to_string),
                _ => return Ok(None),
            }
        }
    }

    async fn list_refunds(&self, _: &ListRefunds) -> Result<RefundPage, RefundError> {
        Err(RefundError::Unsupported {
            provider: refundkit::wooshpay::PROVIDER,
            operation: "list_refunds",
        })
    }
}
