//! Serde types exactly as UQPay sends and receives them. Amounts are decimal
//! strings; a JSON number where a string is documented fails the decode
//! rather than passing through `f64`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `POST /v1/connect/token` answer.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub auth_token: String,
    /// Unix seconds.
    pub expired_at: i64,
}

/// `POST /v2/payment/refunds` body.
#[derive(Debug, Serialize)]
pub(crate) struct CreateRefundBody<'a> {
    pub payment_intent_id: &'a str,
    /// Major units, exactly as many fraction digits as needed.
    pub amount: String,
    pub reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_attempt_id: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: &'a BTreeMap<String, String>,
}

/// The Refund object (create, retrieve, list items, webhook `data`).
#[derive(Debug, Deserialize)]
pub(crate) struct WireRefund {
    pub payment_refund_id: String,
    pub amount: String,
    pub currency: String,
    pub refund_status: String,
    #[serde(default)]
    pub create_time: Option<String>,
    #[serde(default)]
    pub update_time: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, serde_json::Value>>,
    /// Webhook `data` only: the API object lacks it.
    #[serde(default)]
    pub payment_intent_id: Option<String>,
}

/// `GET /v2/payment/refunds` answer. Items stay raw so each refund keeps its
/// own JSON for audit.
#[derive(Debug, Deserialize)]
pub(crate) struct WireRefundPage {
    #[serde(default)]
    pub total_pages: Option<u64>,
    #[serde(default)]
    pub total_items: Option<u64>,
    #[serde(default)]
    pub data: Option<Vec<serde_json::Value>>,
}

/// The parts of `GET /v2/payment_intents/{id}` a create needs: the currency
/// (checked for a partial refund) and the amounts (for a full one).
#[derive(Debug, Deserialize)]
pub(crate) struct WirePaymentIntent {
    pub intent_status: String,
    pub currency: String,
    /// When the payment was created: where a search for its refunds starts.
    #[serde(default)]
    pub create_time: Option<String>,
    #[serde(default)]
    pub captured_amount: Option<String>,
    #[serde(default)]
    pub latest_payment_attempt: Option<WirePaymentAttempt>,
}

/// The payment attempt inside a payment intent.
#[derive(Debug, Deserialize)]
pub(crate) struct WirePaymentAttempt {
    #[serde(default)]
    pub refunded_amount: Option<String>,
}

/// Any error body: Envelope A `{type, code, message}` (code a string),
/// Envelope B `{code: <number>, message}`, or the auth middleware's
/// `{"error": "..."}`. Every field is optional.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireErrorBody {
    #[serde(default, rename = "type")]
    pub error_type: Option<String>,
    #[serde(default)]
    pub code: Option<serde_json::Value>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error: Option<serde_json::Value>,
}

/// A webhook delivery. `event_name` and `event_type` are swapped in older
/// payloads; the one holding a dotted value is the specific event.
#[derive(Debug, Deserialize)]
pub(crate) struct WireWebhookEvent {
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub event_name: Option<String>,
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}
