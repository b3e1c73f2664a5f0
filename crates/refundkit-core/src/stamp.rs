//! Where a refund carries its idempotency key, so it can be found by it long
//! after the provider's idempotency window: reserved metadata names every
//! adapter stamps on create, and the one key namespace shared by the library
//! and the CLI.

use crate::error::RefundError;
use crate::idempotency::IdempotencyKey;
use crate::refund::Refund;

/// The namespace [`crate::RefundRequestBuilder::reference`] and the CLI's
/// `--reference` use unless told otherwise: the same reference gives the
/// same key in the library and in the CLI.
pub const DEFAULT_KEY_NAMESPACE: &str = "refundkit";

/// The environment variable that sets the namespace for a deployment
/// (`Refunds::from_env`, the CLI).
pub const KEY_NAMESPACE_VARIABLE: &str = "REFUNDKIT_KEY_NAMESPACE";

/// Metadata keys starting with this are refundkit's; a caller's are refused.
pub const RESERVED_METADATA_PREFIX: &str = "refundkit_";

/// The metadata key holding the create's idempotency key.
pub const KEY_METADATA: &str = "refundkit_idempotency_key";

/// The metadata key holding the merchant reference the key came from.
pub const REFERENCE_METADATA: &str = "refundkit_reference";

/// The metadata key holding the refunded payment, for providers whose refund
/// object does not name it: a refund read later still says which
/// payment it belongs to.
pub const PAYMENT_METADATA: &str = "refundkit_payment_id";

/// Among raw refund objects as a provider lists them, the one stamped with
/// `key` in its metadata, decoded with `decode`. Objects that are not
/// stamped with `key` are skipped without being decoded, so one malformed
/// refund cannot hide the others; the stamped one failing to decode is an
/// error (it exists: "none" would invite a second refund).
pub fn find_stamped(
    items: impl IntoIterator<Item = serde_json::Value>,
    key: &IdempotencyKey,
    decode: impl Fn(serde_json::Value) -> Result<Refund, RefundError>,
) -> Result<Option<Refund>, RefundError> {
    let wanted = key.to_string();
    for item in items {
        let stamped = item
            .get("metadata")
            .and_then(|metadata| metadata.get(KEY_METADATA))
            .and_then(serde_json::Value::as_str)
            .is_some_and(|text| text.trim().eq_ignore_ascii_case(&wanted));
        if stamped {
            return decode(item).map(Some);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::RefundId;
    use crate::money::Money;
    use crate::status::RefundStatus;

    fn decode(item: serde_json::Value) -> Result<Refund, RefundError> {
        let id = item["id"]
            .as_str()
            .ok_or_else(|| RefundError::decode(crate::ids::SAMPLE_PROVIDER, "no id"))?;
        let id = RefundId::new(id).map_err(RefundError::Invalid)?;
        let amount = Money::parse("1", "USD").map_err(RefundError::from)?;
        Ok(Refund::new(
            crate::ids::SAMPLE_PROVIDER,
            id,
            amount,
            RefundStatus::Succeeded,
        ))
    }

    #[test]
    fn an_undecodable_neighbour_does_not_hide_the_stamped_refund() {
        let key = IdempotencyKey::new();
        let items = vec![
            serde_json::json!({"garbage": true, "metadata": {}}),
            serde_json::json!({"id": "RF2", "metadata": {KEY_METADATA: key.to_string()}}),
        ];
        let found = find_stamped(items, &key, decode).unwrap().unwrap();
        assert_eq!(found.id.as_str(), "RF2");
    }

    #[test]
    fn a_stamped_refund_that_does_not_decode_is_an_error_not_none() {
        let key = IdempotencyKey::new();
        let items = vec![serde_json::json!({"metadata": {KEY_METADATA: key.to_string()}})];
        assert!(find_stamped(items, &key, decode).is_err());
        let other = vec![
            serde_json::json!({"id": "RF3", "metadata": {KEY_METADATA: IdempotencyKey::new().to_string()}}),
        ];
        assert!(find_stamped(other, &key, decode).unwrap().is_none());
    }
}
