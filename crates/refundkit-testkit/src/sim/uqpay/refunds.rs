//! UQPay's refund and payment-intent endpoints.

use std::time::Duration;

use refundkit_core::{parse_plain_decimal, Decimal};
use serde_json::{json, Map, Value};

use super::{errors, render};
use crate::idempotency::Lookup;
use crate::ledger::{NewRefund, Refusal};
use crate::sim::server::{Reply, SimRequest};
use crate::sim::SimCore;
use crate::util::{lock, written_fraction_digits};

const MAX_PAYMENT_ID: usize = 36;
const MAX_REASON: usize = 100;

/// A create body that passed validation.
struct CreateBody {
    raw: Value,
    payment_intent_id: String,
    amount_text: String,
    amount: Decimal,
    reason: String,
    payment_attempt_id: Option<String>,
    metadata: Map<String, Value>,
}

fn required_string<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, Reply> {
    match body.get(field) {
        None | Some(Value::Null) => Err(errors::invalid_parameter(field, "is required")),
        Some(Value::String(text)) if text.trim().is_empty() => {
            Err(errors::invalid_parameter(field, "is required"))
        }
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(errors::invalid_parameter(field, "must be a string")),
    }
}

fn parse_amount(body: &Map<String, Value>) -> Result<(String, Decimal), Reply> {
    let text = match body.get("amount") {
        Some(Value::Number(_)) => {
            return Err(errors::invalid_parameter(
                "amount",
                "must be a decimal string such as \"10.01\", not a JSON number",
            ))
        }
        _ => required_string(body, "amount")?,
    };
    let amount = parse_plain_decimal(text).map_err(|_| {
        errors::invalid_parameter("amount", format!("{text:?} is not a decimal string"))
    })?;
    if amount <= Decimal::ZERO {
        return Err(errors::invalid_parameter(
            "amount",
            "must be greater than zero",
        ));
    }
    Ok((text.to_string(), amount))
}

fn parse_create(bytes: &[u8]) -> Result<CreateBody, Reply> {
    let raw: Value = serde_json::from_slice(bytes)
        .map_err(|_| errors::invalid_parameter("body", "must be a JSON object"))?;
    let body = raw
        .as_object()
        .ok_or_else(|| errors::invalid_parameter("body", "must be a JSON object"))?;
    let payment_intent_id = required_string(body, "payment_intent_id")?;
    if payment_intent_id.chars().count() > MAX_PAYMENT_ID {
        return Err(errors::invalid_parameter(
            "payment_intent_id",
            format!("must be at most {MAX_PAYMENT_ID} characters"),
        ));
    }
    let (amount_text, amount) = parse_amount(body)?;
    let reason = required_string(body, "reason")?;
    if reason.chars().count() > MAX_REASON {
        return Err(errors::invalid_parameter(
            "reason",
            format!("must be at most {MAX_REASON} characters"),
        ));
    }
    let payment_attempt_id = match body.get("payment_attempt_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => {
            return Err(errors::invalid_parameter(
                "payment_attempt_id",
                "must be a string",
            ))
        }
    };
    let metadata = match body.get("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(errors::invalid_parameter("metadata", "must be an object")),
    };
    Ok(CreateBody {
        payment_intent_id: payment_intent_id.to_string(),
        reason: reason.to_string(),
        amount_text,
        amount,
        payment_attempt_id,
        metadata,
        raw,
    })
}

/// A canonical UUID: 36 characters, hyphenated.
pub(crate) fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()
}

/// The answer for a refused refund, and whether it is replayed for its key.
fn refusal_reply(refusal: Refusal, body: &CreateBody) -> (Reply, bool) {
    match refusal {
        Refusal::PaymentNotFound => (
            errors::not_found("payment_intent", &body.payment_intent_id),
            true,
        ),
        Refusal::AttemptNotFound => (
            errors::not_found(
                "payment_attempt",
                body.payment_attempt_id.as_deref().unwrap_or(""),
            ),
            true,
        ),
        Refusal::NotRefundable(status) => (
            errors::not_refundable(&body.payment_intent_id, status.uqpay_name()),
            true,
        ),
        Refusal::FullyRefunded | Refusal::ExceedsAvailable { .. } => {
            (errors::exceeds_available(), true)
        }
        Refusal::InvalidAmount(why) => (errors::invalid_parameter("amount", why), false),
    }
}

/// `POST /api/v2/payment/refunds`.
pub(crate) async fn create(
    core: &SimCore,
    request: &SimRequest,
    pre_commit_delay: Option<Duration>,
) -> Reply {
    let Some(key) = request.header("x-idempotency-key").filter(|k| is_uuid(k)) else {
        return errors::idempotency_key_invalid();
    };
    let on_behalf_of = request
        .header("x-on-behalf-of")
        .map(str::trim)
        .filter(|v| !v.is_empty());
    if let Some(account) = on_behalf_of.filter(|a| !is_uuid(a)) {
        return errors::sub_account_not_found(account);
    }
    let body = match parse_create(&request.body) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let currency = lock(&core.ledger).currency_of(&body.payment_intent_id);
    if let Some(currency) = currency {
        if written_fraction_digits(&body.amount_text) > currency.exponent() {
            return errors::invalid_parameter(
                "amount",
                format!(
                    "{currency} amounts have at most {} decimal places",
                    currency.exponent()
                ),
            );
        }
    }
    let fingerprint = json!({"body": body.raw, "on_behalf_of": on_behalf_of});
    let lookup = lock(&core.idempotency).begin(key, fingerprint);
    match lookup {
        Lookup::Fresh => {}
        Lookup::Replay(reply) => return reply,
        Lookup::Mismatch => return errors::idempotency_mismatch(),
        Lookup::InFlight => return errors::in_flight(),
    }
    if let Some(delay) = pre_commit_delay {
        tokio::time::sleep(delay).await;
    }
    let outcome = lock(&core.ledger).create(NewRefund {
        payment_id: body.payment_intent_id.clone(),
        amount: Some(body.amount),
        attempt_id: body.payment_attempt_id.clone(),
        reason: Some(body.reason.clone()),
        description: None,
        metadata: body.metadata.clone(),
    });
    let (reply, replayable) = match outcome {
        Ok(refund) => (Reply::json(200, &render::refund(&refund)), true),
        Err(refusal) => refusal_reply(refusal, &body),
    };
    lock(&core.idempotency).conclude(key, &reply, replayable);
    reply
}

/// `GET /api/v2/payment/refunds/{id}`: counts as a read of the refund.
pub(crate) fn get(core: &SimCore, id: &str) -> Reply {
    let refund = lock(&core.ledger).read(id);
    match refund {
        Some(refund) => Reply::json(200, &render::refund(&refund)),
        None => errors::not_found("refund", id),
    }
}

/// `GET /api/v2/payment_intents/{id}`.
pub(crate) fn get_payment(core: &SimCore, id: &str) -> Reply {
    let payment = lock(&core.ledger).payment(id);
    match payment {
        Some(payment) => Reply::json(200, &render::payment_intent(&payment)),
        None => errors::not_found("payment_intent", id),
    }
}
