//! Currencies and amounts: exact decimal money that never rounds silently.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why an amount or a currency was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The code is not an ISO 4217 currency. The text is not quoted: it may
    /// be anything a provider echoed.
    #[error("is not an ISO 4217 currency code (three letters, e.g. USD)")]
    UnknownCurrency,
    /// The ISO 4217 entry has no minor unit (precious metals, testing codes).
    #[error("currency {0} has no minor unit and cannot be used for payments")]
    NoMinorUnit(String),
    /// The amount has more fraction digits than the currency allows.
    #[error("{amount} {currency} has more than {exponent} fraction digits")]
    TooPrecise {
        /// The amount as given.
        amount: String,
        /// The currency code.
        currency: String,
        /// How many fraction digits the currency allows.
        exponent: u32,
    },
    /// The amount does not fit the target representation.
    #[error("is out of range")]
    Overflow,
    /// The text is not a plain decimal number (not quoted: it may be anything).
    #[error("is not a decimal amount (expected digits with an optional '.' and fraction)")]
    NotADecimal,
}

/// A validated ISO 4217 currency with its minor-unit exponent (JPY 0, USD 2, KWD 3).
///
/// Equality and hashing use the code only.
#[derive(Clone, Copy)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

impl Currency {
    /// Looks up an ISO 4217 code, case-insensitively. Unknown codes are an error,
    /// never a default exponent.
    ///
    /// ```
    /// # use refundkit_core::Currency;
    /// assert_eq!(Currency::new("jpy").unwrap().exponent(), 0);
    /// assert_eq!(Currency::new("KWD").unwrap().exponent(), 3);
    /// assert!(Currency::new("XYZ").is_err());
    /// ```
    pub fn new(code: &str) -> Result<Self, MoneyError> {
        // Every ISO code is three ASCII letters: upper-cased on the stack.
        // Three bytes as given (nearly always) skip the trim.
        let given = code.as_bytes();
        let code = match if given.len() == 3 {
            given
        } else {
            code.trim().as_bytes()
        } {
            [a, b, c] => [
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ],
            _ => return Err(MoneyError::UnknownCurrency),
        };
        let exponent = match iso_codes().get(letters_index(code)) {
            Some(&Minor::Exponent(exponent)) => exponent,
            Some(Minor::NoMinorUnit) => {
                let upper = String::from_utf8_lossy(&code).into_owned();
                return Err(MoneyError::NoMinorUnit(upper));
            }
            Some(Minor::NotACode) | None => return Err(MoneyError::UnknownCurrency),
        };
        Ok(Self { code, exponent })
    }

    /// The upper-case ISO 4217 code.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// The ISO 4217 minor-unit exponent (number of fraction digits).
    pub fn exponent(&self) -> u32 {
        u32::from(self.exponent)
    }

    /// Every ISO 4217 currency that has a minor unit, in numeric-code order.
    pub fn all() -> impl Iterator<Item = Currency> {
        (0..=999u16)
            .filter_map(iso_currency::Currency::from_numeric)
            .filter_map(|iso| Currency::new(iso.code()).ok())
    }
}

/// What the ISO 4217 table says of three letters.
#[derive(Clone, Copy)]
enum Minor {
    NotACode,
    NoMinorUnit,
    Exponent(u8),
}

/// Three upper-case letters `AAA`–`ZZZ` as 0–17,575; anything else past
/// the table's end.
fn letters_index([a, b, c]: [u8; 3]) -> usize {
    let letter = |byte: u8| match byte {
        b'A'..=b'Z' => usize::from(byte - b'A'),
        _ => LETTER_CODES,
    };
    letter(a)
        .saturating_mul(26 * 26)
        .saturating_add(letter(b).saturating_mul(26))
        .saturating_add(letter(c))
}

const LETTER_CODES: usize = 26 * 26 * 26;

/// Every three-letter code, made once (35 KB): a code is looked up at its
/// index, with no search or string match over the ISO list.
fn iso_codes() -> &'static [Minor] {
    static CODES: std::sync::OnceLock<Vec<Minor>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        let mut codes = vec![Minor::NotACode; LETTER_CODES];
        for iso in (0..=999u16).filter_map(iso_currency::Currency::from_numeric) {
            let Ok(code) = <[u8; 3]>::try_from(iso.code().as_bytes()) else {
                continue;
            };
            let minor = match iso.exponent().map(u8::try_from) {
                Some(Ok(exponent)) => Minor::Exponent(exponent),
                Some(Err(_)) => Minor::NotACode,
                None => Minor::NoMinorUnit,
            };
            if let Some(slot) = codes.get_mut(letters_index(code)) {
                *slot = minor;
            }
        }
        codes
    })
}

impl PartialEq for Currency {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

impl Eq for Currency {}

impl std::hash::Hash for Currency {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.code.hash(state);
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::new(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::new(&code).map_err(serde::de::Error::custom)
    }
}

/// An exact amount of money in one currency.
///
/// The amount never has more fraction digits than the currency allows; every
/// conversion is exact or fails.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// An amount in major units (`10.01` USD). Fails when the amount has more
    /// fraction digits than the currency's exponent; trailing zeros are fine.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        let amount = amount.normalize();
        if amount.scale() > currency.exponent() {
            return Err(MoneyError::TooPrecise {
                amount: amount.to_string(),
                currency: currency.code().to_string(),
                exponent: currency.exponent(),
            });
        }
        Ok(Self { amount, currency })
    }

    /// Parses a plain decimal string (`"10.01"`, `"-3"`) and a currency code.
    /// Exponents, separators, signs other than a leading `-` and blanks are refused.
    ///
    /// ```
    /// # use refundkit_core::Money;
    /// let m = Money::parse("10.01", "usd").unwrap();
    /// assert_eq!(m.to_minor_units().unwrap(), 1001);
    /// assert!(Money::parse("10.001", "USD").is_err());
    /// ```
    pub fn parse(amount: &str, currency: &str) -> Result<Self, MoneyError> {
        let currency = Currency::new(currency)?;
        Money::new(parse_plain_decimal(amount)?, currency)
    }

    /// `minor` units of `currency` at its ISO exponent (1001 USD cents = 10.01 USD).
    pub fn from_minor_units(minor: i64, currency: Currency) -> Self {
        // A currency's exponent is at most 4, far inside Decimal's 28-digit scale.
        let amount = Decimal::new(minor, currency.exponent()).normalize();
        Self { amount, currency }
    }

    /// `minor` units counted with a provider-specific exponent, which may differ
    /// from ISO 4217 (a provider treating a currency as zero-decimal).
    pub fn from_minor_units_at(
        minor: i64,
        currency: Currency,
        exponent: u32,
    ) -> Result<Self, MoneyError> {
        let amount = Decimal::try_new(minor, exponent).map_err(|_| MoneyError::Overflow)?;
        Money::new(amount, currency)
    }

    /// The amount in minor units at the currency's ISO exponent.
    pub fn to_minor_units(&self) -> Result<i64, MoneyError> {
        self.to_minor_units_at(self.currency.exponent())
    }

    /// The amount in minor units at a provider-specific exponent; fails when the
    /// amount is not a whole number of those units or does not fit an `i64`.
    pub fn to_minor_units_at(&self, exponent: u32) -> Result<i64, MoneyError> {
        let overflow = || MoneyError::Overflow;
        // The amount is `mantissa × 10^-scale`: whole integer arithmetic.
        let (mantissa, scale) = (self.amount.mantissa(), self.amount.scale());
        let minor = match exponent.checked_sub(scale) {
            Some(more) => 10i128
                .checked_pow(more)
                .and_then(|factor| mantissa.checked_mul(factor))
                .ok_or_else(overflow)?,
            None => {
                let divisor = 10i128
                    .checked_pow(scale.saturating_sub(exponent))
                    .ok_or_else(overflow)?;
                if mantissa.checked_rem(divisor) != Some(0) {
                    return Err(MoneyError::TooPrecise {
                        amount: self.amount.to_string(),
                        currency: self.currency.code().to_string(),
                        exponent,
                    });
                }
                mantissa.checked_div(divisor).ok_or_else(overflow)?
            }
        };
        i64::try_from(minor).map_err(|_| overflow())
    }

    /// The canonical decimal string in major units, with exactly as many
    /// fraction digits as needed: `"10.01"`, `"1000"` (JPY), `"1.005"` (KWD).
    pub fn to_major_string(&self) -> String {
        self.amount.normalize().to_string()
    }

    /// The amount in major units.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// True when the amount is above zero.
    pub fn is_positive(&self) -> bool {
        self.amount > Decimal::ZERO
    }

    /// `self + other`, when both are in the same currency and the sum fits.
    pub fn checked_add(&self, other: &Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        let amount = self.amount.checked_add(other.amount)?;
        Money::new(amount, self.currency).ok()
    }

    /// `self - other`, when both are in the same currency.
    pub fn checked_sub(&self, other: &Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        let amount = self.amount.checked_sub(other.amount)?;
        Money::new(amount, self.currency).ok()
    }
}

/// Parses `-?digits(.digits)?` into a decimal, refusing everything else.
pub fn parse_plain_decimal(text: &str) -> Result<Decimal, MoneyError> {
    let not_decimal = || MoneyError::NotADecimal;
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !fraction.is_none_or(digits) {
        return Err(not_decimal());
    }
    Decimal::from_str_exact(text).map_err(|_| MoneyError::Overflow)
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({} {})", self.to_major_string(), self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_major_string(), self.currency)
    }
}

#[derive(Serialize, Deserialize)]
struct MoneyWire {
    value: String,
    currency: String,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MoneyWire {
            value: self.to_major_string(),
            currency: self.currency.code().to_string(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = MoneyWire::deserialize(deserializer)?;
        Money::parse(&wire.value, &wire.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_three_letter_code_is_looked_up_as_iso_currency_says() {
        let letters = b'A'..=b'Z';
        for a in letters.clone() {
            for b in letters.clone() {
                for c in letters.clone() {
                    let code = String::from_utf8(vec![a, b, c]).unwrap();
                    let expected =
                        iso_currency::Currency::from_code(&code).map(|iso| iso.exponent());
                    let found = Currency::new(&code.to_ascii_lowercase());
                    match expected {
                        None => assert_eq!(found, Err(MoneyError::UnknownCurrency), "{code}"),
                        Some(None) => assert_eq!(found, Err(MoneyError::NoMinorUnit(code.clone()))),
                        Some(Some(exponent)) => {
                            let currency = found.unwrap();
                            assert_eq!(
                                (currency.code(), currency.exponent()),
                                (code.as_str(), u32::from(exponent))
                            );
                        }
                    }
                }
            }
        }
    }

    fn money(amount: &str, code: &str) -> Money {
        Money::parse(amount, code).unwrap()
    }

    #[test]
    fn currency_lookup_is_case_insensitive_and_upper_cases() {
        let usd = Currency::new("usd").unwrap();
        assert_eq!(usd.code(), "USD");
        assert_eq!(usd, Currency::new("USD").unwrap());
    }

    #[test]
    fn unknown_currency_is_an_error_never_a_default() {
        assert_eq!(Currency::new("ABC"), Err(MoneyError::UnknownCurrency));
        for not_letters in ["US1", "U$D", "[SD", "US@", "ÜSD", "U D", "", "USDX"] {
            assert_eq!(
                Currency::new(not_letters),
                Err(MoneyError::UnknownCurrency),
                "{not_letters}"
            );
        }
        assert!(matches!(
            Currency::new("XAU"),
            Err(MoneyError::NoMinorUnit(_))
        ));
    }

    #[test]
    fn major_strings_use_exactly_the_needed_digits() {
        assert_eq!(money("10.01", "USD").to_major_string(), "10.01");
        assert_eq!(money("10.10", "USD").to_major_string(), "10.1");
        assert_eq!(money("1000", "JPY").to_major_string(), "1000");
        assert_eq!(money("1.005", "KWD").to_major_string(), "1.005");
    }

    #[test]
    fn plain_decimal_parser_refuses_other_notations() {
        for bad in [
            "", "1e3", "1_000", " 1", "+1", "1.", ".5", "1,5", "0x10", "--1",
        ] {
            assert!(Money::parse(bad, "USD").is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn provider_exponent_conversion_is_exact() {
        let usd = Currency::new("USD").unwrap();
        assert_eq!(money("10.01", "USD").to_minor_units_at(3).unwrap(), 10010);
        assert!(money("10.01", "USD").to_minor_units_at(0).is_err());
        // Whole amounts at a smaller exponent; the largest i64, and one past it.
        assert_eq!(money("1000", "JPY").to_minor_units_at(0).unwrap(), 1000);
        assert_eq!(money("12.50", "EUR").to_minor_units_at(1).unwrap(), 125);
        assert_eq!(
            money("92233720368547758.07", "USD")
                .to_minor_units()
                .unwrap(),
            i64::MAX
        );
        assert!(matches!(
            money("92233720368547758.08", "USD").to_minor_units(),
            Err(MoneyError::Overflow)
        ));
        assert!(money("1", "USD").to_minor_units_at(40).is_err());
        assert!(Money::from_minor_units_at(1001, usd, 3).is_err());
        assert_eq!(
            Money::from_minor_units_at(1001, usd, 2).unwrap(),
            money("10.01", "USD")
        );
    }

    #[test]
    fn overflow_is_an_error() {
        let huge = money("99999999999999999999", "USD");
        assert!(matches!(huge.to_minor_units(), Err(MoneyError::Overflow)));
    }

    #[test]
    fn money_serializes_value_as_a_string() {
        let json = serde_json::to_value(money("10.01", "usd")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"value": "10.01", "currency": "USD"})
        );
        let back: Money = serde_json::from_value(json).unwrap();
        assert_eq!(back, money("10.01", "USD"));
        assert!(serde_json::from_value::<Money>(
            serde_json::json!({"value": 10.01, "currency": "USD"})
        )
        .is_err());
    }
}
