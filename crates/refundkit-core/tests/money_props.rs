//! Money conversions are exact for every currency the ISO table knows.

use proptest::prelude::*;
use refundkit_core::{Currency, Decimal, Money, MoneyError};

fn currencies() -> Vec<Currency> {
    Currency::all().collect()
}

proptest! {
    #[test]
    fn minor_units_round_trip_for_every_currency(
        index in 0usize..1000,
        minor in -1_000_000_000_000_000i64..1_000_000_000_000_000i64,
    ) {
        let all = currencies();
        let currency = all[index % all.len()];
        let money = Money::from_minor_units(minor, currency);
        prop_assert_eq!(money.to_minor_units().unwrap(), minor);
        let again = Money::from_minor_units(money.to_minor_units().unwrap(), currency);
        prop_assert_eq!(again, money);
        // The canonical string parses back to the same money.
        let parsed = Money::parse(&money.to_major_string(), currency.code()).unwrap();
        prop_assert_eq!(parsed, money);
    }

    #[test]
    fn over_precise_amounts_are_errors(index in 0usize..1000, minor in 1i64..1_000_000_000, extra in 1u32..4) {
        let all = currencies();
        let currency = all[index % all.len()];
        // One more fraction digit than the currency allows, last digit non-zero.
        let digits = currency.exponent() + extra;
        let amount = Decimal::new(minor * 10 + 1, digits);
        let is_too_precise = matches!(
            Money::new(amount, currency),
            Err(MoneyError::TooPrecise { .. })
        );
        prop_assert!(is_too_precise);
    }
}

#[test]
fn the_table_knows_the_currencies_we_name() {
    let all = currencies();
    assert!(all.len() > 150, "only {} currencies", all.len());
    for (code, exponent) in [
        ("JPY", 0),
        ("KRW", 0),
        ("USD", 2),
        ("EUR", 2),
        ("KWD", 3),
        ("BHD", 3),
    ] {
        let currency = Currency::new(code).unwrap();
        assert_eq!(currency.exponent(), exponent, "{code}");
        assert!(all.contains(&currency), "{code}");
    }
}

#[test]
fn named_currencies_convert_exactly() {
    let cases = [
        ("1000", "JPY", 1000),
        ("1000", "KRW", 1000),
        ("10.01", "USD", 1001),
        ("1.005", "KWD", 1005),
        ("0.001", "BHD", 1),
    ];
    for (amount, code, minor) in cases {
        let money = Money::parse(amount, code).unwrap();
        assert_eq!(money.to_minor_units().unwrap(), minor, "{amount} {code}");
        assert_eq!(money.to_major_string(), amount, "{amount} {code}");
        assert_eq!(Money::from_minor_units(minor, money.currency()), money);
    }
    for (amount, code) in [
        ("1.5", "JPY"),
        ("0.1", "KRW"),
        ("10.001", "USD"),
        ("1.0005", "KWD"),
        ("0.0001", "BHD"),
    ] {
        assert!(
            matches!(
                Money::parse(amount, code),
                Err(MoneyError::TooPrecise { .. })
            ),
            "{amount} {code} accepted"
        );
    }
}
