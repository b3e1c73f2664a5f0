//! The reservation rule, as a pure function: the refunds of a payment that
//! hold a reservation, plus this one, must stay within the ceiling.

use refundkit_core::{Money, ValidationError};

use crate::error::JournalError;

/// The sum of `held` (the payment's rows that hold a reservation), checked
/// exactly; `Err` when a row is in another currency than `currency`.
pub fn reserved_total(
    held: &[Money],
    currency: refundkit_core::Currency,
) -> Result<Money, JournalError> {
    let mut total = refundkit_core::Decimal::ZERO;
    for money in held {
        if money.currency() != currency {
            return Err(ValidationError::new(
                "currency",
                format!(
                    "the payment's journaled refunds are in {}, this one is in {currency}",
                    money.currency()
                ),
            )
            .into());
        }
        total = total.checked_add(money.amount()).ok_or_else(|| {
            JournalError::corrupt(
                "amount",
                "the payment's refunds add up past the decimal range",
            )
        })?;
    }
    Money::new(total, currency).map_err(|error| ValidationError::money("amount", error).into())
}

/// Checks that reserving `requested` on `payment_id` keeps the payment
/// within `ceiling`, given what its rows already hold.
pub fn check_reservation(
    payment_id: &str,
    held: &[Money],
    requested: Money,
    ceiling: Money,
) -> Result<(), JournalError> {
    if ceiling.currency() != requested.currency() {
        return Err(ValidationError::new(
            "ceiling",
            format!(
                "the ceiling is in {}, the refund in {}",
                ceiling.currency(),
                requested.currency()
            ),
        )
        .into());
    }
    let reserved = reserved_total(held, requested.currency())?;
    let after = reserved.amount().checked_add(requested.amount());
    match after {
        Some(after) if after <= ceiling.amount() => Ok(()),
        _ => Err(JournalError::OverRefund {
            payment_id: payment_id.to_string(),
            requested,
            reserved,
            ceiling,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(text: &str) -> Money {
        Money::parse(text, "USD").unwrap()
    }

    #[test]
    fn a_refund_up_to_the_ceiling_is_allowed() {
        assert!(check_reservation("PI1", &[usd("60.00")], usd("40.00"), usd("100.00")).is_ok());
        assert!(check_reservation("PI1", &[], usd("100.00"), usd("100.00")).is_ok());
    }

    #[test]
    fn one_cent_over_the_ceiling_is_refused_naming_the_amount() {
        let error =
            check_reservation("PI1", &[usd("60.00")], usd("40.01"), usd("100.00")).unwrap_err();
        assert_eq!(error.code(), "over_refund");
        assert!(error.to_string().contains("field `amount`"), "{error}");
        assert!(error.to_string().contains("60 USD"), "{error}");
    }

    #[test]
    fn a_ceiling_in_another_currency_is_refused_naming_the_ceiling() {
        let ceiling = Money::parse("100", "JPY").unwrap();
        let error = check_reservation("PI1", &[], usd("1.00"), ceiling).unwrap_err();
        assert!(matches!(error, JournalError::Invalid(ref e) if e.field() == "ceiling"));
    }

    #[test]
    fn a_payment_with_rows_in_another_currency_is_refused() {
        let held = [Money::parse("1.000", "KWD").unwrap()];
        let error = check_reservation("PI1", &held, usd("1.00"), usd("100.00")).unwrap_err();
        assert!(matches!(error, JournalError::Invalid(ref e) if e.field() == "currency"));
    }

    #[test]
    fn sums_at_the_decimal_limit_fail_instead_of_wrapping() {
        let max = Money::parse("79228162514264337593543950335", "JPY").unwrap();
        let error = check_reservation("PI1", &[max], Money::parse("1", "JPY").unwrap(), max);
        assert_eq!(error.unwrap_err().code(), "over_refund");
    }
}
