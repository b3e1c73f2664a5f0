//! WooshPay's JSON exactly as it is sent and received. No logic: mapping.rs
//! turns these into the normalized model.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The body of `POST /v1/refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CreateRefundBody {
    /// The PaymentIntent to refund (`pi_…`).
    pub payment_intent: String,
    /// Minor units, as a JSON integer; absent for a full refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// One of the four documented request reasons; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<WireRequestReason>,
    /// Merchant key/value pairs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// The reasons WooshPay accepts on create (`expired_uncaptured_charge` is
/// response-only and never sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WireRequestReason {
    Duplicate,
    Fraudulent,
    RequestedByCustomer,
    ResolvedDispute,
}

/// A Refund object. Every field is optional because the docs mark them so;
/// mapping decides which ones a usable refund needs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct WireRefund {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub amount: Option<WireInteger>,
    #[serde(default)]
    pub created: Option<WireInteger>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    pub payment_intent: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub failure_reason: Option<String>,
}

/// A page of `GET /v1/refunds?payment_intent=…` (Stripe's list object,
/// assumed: WooshPay documents this cursor shape for other lists). Items stay
/// raw so one malformed refund cannot hide the others.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct WireRefundList {
    #[serde(default)]
    pub data: Option<Vec<Value>>,
    #[serde(default)]
    pub has_more: Option<bool>,
}

/// An integer WooshPay documents as a number but whose request schema types
/// as a string; both forms are read, and mapping refuses anything not whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WireInteger {
    Number(i64),
    Text(String),
}

/// Read by hand, not as `#[serde(untagged)]`: an untagged enum buffers every
/// value into an intermediate tree before trying each form, on every answer.
impl<'de> Deserialize<'de> for WireInteger {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = WireInteger;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer or a string")
            }

            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<WireInteger, E> {
                Ok(WireInteger::Number(value))
            }

            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<WireInteger, E> {
                i64::try_from(value)
                    .map(WireInteger::Number)
                    .map_err(|_| E::custom("an integer out of range"))
            }

            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<WireInteger, E> {
                Ok(WireInteger::Text(value.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// An event delivered to a webhook endpoint.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct WireWebhookEvent {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, rename = "type")]
    pub event_type: Option<String>,
    #[serde(default)]
    pub data: Option<WireWebhookEventData>,
}

/// `data` of an event: the object it is about.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct WireWebhookEventData {
    #[serde(default)]
    pub object: Option<Value>,
}

/// An error body, read tolerantly: Stripe's `{"error": {…}}`, a string
/// `error`, or top-level `message` / `code` / `type`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct WireErrorBody {
    #[serde(default)]
    pub error: Option<WireErrorField>,
    #[serde(default)]
    pub message: Option<Value>,
    #[serde(default)]
    pub code: Option<Value>,
    #[serde(default, rename = "type")]
    pub error_type: Option<Value>,
}

/// The `error` member: an object, a string, or something else.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum WireErrorField {
    Object(WireErrorObject),
    Text(String),
    Other(Value),
}

/// Stripe's error object, as WooshPay is assumed to send it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct WireErrorObject {
    #[serde(default, rename = "type")]
    pub error_type: Option<Value>,
    #[serde(default)]
    pub code: Option<Value>,
    #[serde(default)]
    pub message: Option<Value>,
    #[serde(default)]
    pub param: Option<Value>,
    #[serde(default)]
    pub decline_code: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_REQUEST: &str =
        include_str!("../../../tests/fixtures/seeds/wooshpay_create_request.json");
    const SEED_RESPONSE: &str =
        include_str!("../../../tests/fixtures/seeds/wooshpay_create_response.json");

    #[test]
    fn seed_request_example_decodes_and_encodes_back() {
        let body: CreateRefundBody = serde_json::from_str(SEED_REQUEST).unwrap();
        assert_eq!(
            body,
            CreateRefundBody {
                payment_intent: "pi_1787730829493927936".into(),
                amount: None,
                reason: Some(WireRequestReason::RequestedByCustomer),
                metadata: BTreeMap::new(),
            }
        );
        let encoded = serde_json::to_value(&body).unwrap();
        let seed: Value = serde_json::from_str(SEED_REQUEST).unwrap();
        assert_eq!(encoded, seed);
    }

    #[test]
    fn seed_response_example_decodes_with_its_placeholders() {
        let refund: WireRefund = serde_json::from_str(SEED_RESPONSE).unwrap();
        assert_eq!(refund.id.as_deref(), Some("string"));
        assert_eq!(refund.amount, Some(WireInteger::Number(0)));
        assert_eq!(refund.created, Some(WireInteger::Number(0)));
        assert_eq!(refund.currency.as_deref(), Some("string"));
        assert_eq!(refund.reason.as_deref(), Some("duplicate"));
        assert_eq!(refund.status.as_deref(), Some("string"));
        assert_eq!(
            refund.failure_reason.as_deref(),
            Some("lost_or_stolen_card")
        );
        assert_eq!(refund.metadata, Some(BTreeMap::new()));
    }

    #[test]
    fn partial_body_carries_amount_as_a_json_integer() {
        let body = CreateRefundBody {
            payment_intent: "pi_1".into(),
            amount: Some(1001),
            reason: None,
            metadata: BTreeMap::from([("order_id".to_string(), "o1".to_string())]),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"payment_intent": "pi_1", "amount": 1001, "metadata": {"order_id": "o1"}})
        );
    }

    #[test]
    fn empty_object_decodes_to_all_absent() {
        let refund: WireRefund = serde_json::from_str("{}").unwrap();
        assert_eq!(refund, WireRefund::default());
        let refund: WireRefund =
            serde_json::from_str(r#"{"amount":"1001","reason":null,"extra":{"x":1}}"#).unwrap();
        assert_eq!(refund.amount, Some(WireInteger::Text("1001".into())));
        assert_eq!(refund.reason, None);
    }

    #[test]
    fn error_bodies_of_every_shape_decode() {
        let object: WireErrorBody = serde_json::from_str(
            r#"{"error":{"type":"invalid_request_error","code":"resource_missing"}}"#,
        )
        .unwrap();
        assert!(matches!(object.error, Some(WireErrorField::Object(_))));
        let text: WireErrorBody = serde_json::from_str(r#"{"error":"Unauthorized"}"#).unwrap();
        assert_eq!(
            text.error,
            Some(WireErrorField::Text("Unauthorized".into()))
        );
        let top: WireErrorBody = serde_json::from_str(r#"{"message":"bad","code":400}"#).unwrap();
        assert_eq!(top.code, Some(serde_json::json!(400)));
    }
}
