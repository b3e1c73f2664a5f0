//! Checks that a provider echoed what we asked for.

use crate::error::RefundError;
use crate::ids::RefundId;
use crate::money::{Currency, Money};
use crate::refund::Refund;

/// For a read: `refund` when it is the refund `asked` for. An answer about
/// another refund is a decode error — never passed on as the one asked for.
///
/// ```
/// use refundkit_core::{check_same_refund, Money, ProviderId, Refund, RefundId, RefundStatus};
///
/// let acme = ProviderId::from_static("acme");
/// let amount = Money::parse("1.00", "USD")?;
/// let refund = Refund::new(acme, RefundId::new("RF1")?, amount, RefundStatus::Pending);
/// assert!(check_same_refund(&RefundId::new("RF1")?, refund.clone()).is_ok());
/// assert!(check_same_refund(&RefundId::new("RF2")?, refund).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_same_refund(asked: &RefundId, refund: Refund) -> Result<Refund, RefundError> {
    if refund.id != *asked {
        return Err(RefundError::decode(
            refund.provider,
            "the answer is about another refund than the one asked for",
        ));
    }
    Ok(refund)
}

/// Refuses a refund whose currency or amount differs from the request's.
/// `expected_amount` is `None` when the request left the amount to the
/// provider (a full refund it resolves itself).
pub fn check_echo(
    refund: Refund,
    expected_currency: Option<Currency>,
    expected_amount: Option<&Money>,
) -> Result<Refund, RefundError> {
    let expected_currency = expected_currency.or(expected_amount.map(Money::currency));
    if let Some(currency) = expected_currency {
        if refund.amount.currency() != currency {
            let actual = refund.amount.currency().to_string();
            return Err(RefundError::IntegrityMismatch {
                refund: Box::new(refund),
                field: "currency",
                expected: currency.to_string(),
                actual,
            });
        }
    }
    if let Some(amount) = expected_amount {
        if refund.amount.amount() != amount.amount() {
            let actual = refund.amount.to_string();
            return Err(RefundError::IntegrityMismatch {
                refund: Box::new(refund),
                field: "amount",
                expected: amount.to_string(),
                actual,
            });
        }
    }
    Ok(refund)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RefundId, RefundStatus};

    fn refund(amount: &str, currency: &str) -> Refund {
        Refund::new(
            crate::ids::SAMPLE_PROVIDER,
            RefundId::new("RF1").unwrap(),
            Money::parse(amount, currency).unwrap(),
            RefundStatus::Succeeded,
        )
    }

    #[test]
    fn matching_echo_passes() {
        let expected = Money::parse("10.01", "USD").unwrap();
        assert!(check_echo(refund("10.010", "USD"), None, Some(&expected)).is_ok());
    }

    #[test]
    fn different_currency_or_amount_is_an_integrity_mismatch() {
        let expected = Money::parse("10.01", "USD").unwrap();
        let error = check_echo(refund("10.01", "EUR"), None, Some(&expected)).unwrap_err();
        assert!(matches!(
            error,
            RefundError::IntegrityMismatch {
                field: "currency",
                ..
            }
        ));
        let error = check_echo(refund("10.1", "USD"), None, Some(&expected)).unwrap_err();
        match error {
            RefundError::IntegrityMismatch {
                field,
                expected,
                actual,
                refund,
            } => {
                assert_eq!(
                    (field, expected.as_str(), actual.as_str()),
                    ("amount", "10.01 USD", "10.1 USD")
                );
                assert_eq!(refund.id.as_str(), "RF1");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
