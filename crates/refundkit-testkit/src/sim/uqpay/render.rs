//! UQPay's objects as JSON, shaped like the API reference.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::model::{PaymentStatus, SimPayment, SimRefund};
use crate::util::major_string;

/// UQPay writes times in RFC 3339 with the +08:00 offset, whole seconds.
pub(crate) fn uqpay_time(at: OffsetDateTime) -> String {
    let offset = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
    at.to_offset(offset)
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The Refund object (which has no `payment_intent_id`).
pub(crate) fn refund(refund: &SimRefund) -> Value {
    json!({
        "payment_refund_id": refund.id,
        "payment_attempt_id": refund.payment_attempt_id,
        "amount": major_string(&refund.amount),
        "currency": refund.amount.currency().code(),
        "refund_status": refund.status.uqpay_name(),
        "create_time": uqpay_time(refund.created_at),
        "update_time": uqpay_time(refund.updated_at),
        "reason": refund.reason,
        "metadata": refund.metadata,
    })
}

/// The webhook `data` object: the Refund plus `payment_intent_id` and
/// `complete_time`.
pub(crate) fn refund_event_data(refund: &SimRefund) -> Value {
    let complete_time = match refund.status {
        crate::model::SimRefundStatus::Pending => Value::Null,
        _ => Value::String(uqpay_time(refund.updated_at)),
    };
    json!({
        "amount": major_string(&refund.amount),
        "complete_time": complete_time,
        "create_time": uqpay_time(refund.created_at),
        "currency": refund.amount.currency().code(),
        "metadata": refund.metadata,
        "payment_attempt_id": refund.payment_attempt_id,
        "payment_intent_id": refund.payment_id,
        "payment_refund_id": refund.id,
        "reason": refund.reason,
        "refund_status": refund.status.uqpay_name(),
    })
}

fn attempt_status(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Succeeded => "SUCCEEDED",
        PaymentStatus::RequiresCapture => "AUTHORIZED",
        PaymentStatus::Pending => "PENDING_AUTHORIZATION",
        PaymentStatus::Canceled => "CANCELLED",
        PaymentStatus::Failed => "FAILED",
    }
}

/// The PaymentIntent object, with its latest payment attempt.
pub(crate) fn payment_intent(payment: &SimPayment) -> Value {
    let captured = major_string(&payment.captured());
    let complete_time = match payment.status {
        PaymentStatus::Succeeded => Value::String(uqpay_time(payment.created_at)),
        _ => Value::Null,
    };
    json!({
        "payment_intent_id": payment.id,
        "amount": major_string(&payment.amount),
        "currency": payment.amount.currency().code(),
        "intent_status": payment.status.uqpay_name(),
        "captured_amount": captured,
        "merchant_order_id": payment.merchant_order_id,
        "metadata": {},
        "create_time": uqpay_time(payment.created_at),
        "update_time": uqpay_time(payment.created_at),
        "complete_time": complete_time,
        "latest_payment_attempt": {
            "attempt_id": payment.attempt_id,
            "amount": major_string(&payment.amount),
            "captured_amount": captured,
            "refunded_amount": major_string(&payment.refunded),
            "attempt_status": attempt_status(payment.status),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_use_the_plus_eight_offset_like_the_docs() {
        let at = OffsetDateTime::from_unix_timestamp(1_709_222_400).unwrap();
        assert_eq!(uqpay_time(at), "2024-03-01T00:00:00+08:00");
    }
}
