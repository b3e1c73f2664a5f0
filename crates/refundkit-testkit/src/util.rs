//! Small pure helpers: ids, percent-decoding, query strings, amounts, locks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use refundkit_core::{Currency, Decimal, Money};

/// Locks a mutex, carrying on with the data if another thread panicked
/// while holding it (the simulator's state stays usable).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `prefix` followed by a 19-digit number, unique within this process
/// (`PI2043628825316691968`, `re_1787730829493927937`).
pub(crate) fn new_id(prefix: &str) -> String {
    static NEXT: OnceLock<AtomicU64> = OnceLock::new();
    let counter = NEXT.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        // 2·10^18 plus up to 10^17: always exactly 19 digits.
        let offset = u64::try_from(nanos % 100_000_000_000_000_000).unwrap_or(0);
        AtomicU64::new(2_000_000_000_000_000_000 + offset)
    });
    format!("{prefix}{}", counter.fetch_add(1, Ordering::Relaxed))
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`).
/// `None` for a broken escape or a result that is not UTF-8.
pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'%' => {
                let hex = bytes.get(index + 1..index + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                index += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                index += 1;
            }
            other => {
                out.push(other);
                index += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The decoded `name=value` pairs of a query string; broken pairs are skipped.
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(name, true)?, percent_decode(value, true)?))
        })
        .collect()
}

/// The number of digits after the decimal point, as written.
pub(crate) fn written_fraction_digits(text: &str) -> u32 {
    text.split_once('.')
        .map(|(_, fraction)| u32::try_from(fraction.len()).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

/// The amount with exactly the currency's ISO digits (`"10.00"`, `"1000"`,
/// `"1.005"`), as UQPay writes amounts.
pub(crate) fn major_string(money: &Money) -> String {
    let mut amount = money.amount();
    amount.rescale(money.currency().exponent());
    amount.to_string()
}

/// Stripe's zero-decimal currencies, which WooshPay is assumed to follow.
const ZERO_DECIMAL: [&str; 16] = [
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];

/// The exponent WooshPay counts minor units with: 0 for Stripe's
/// zero-decimal currencies, the ISO 4217 exponent otherwise.
pub fn wooshpay_exponent(currency: Currency) -> u32 {
    if ZERO_DECIMAL.contains(&currency.code()) {
        0
    } else {
        currency.exponent()
    }
}

/// `minor` WooshPay units of `currency` as a decimal amount.
pub(crate) fn from_wooshpay_minor(minor: i64, currency: Currency) -> Option<Decimal> {
    Decimal::try_new(minor, wooshpay_exponent(currency)).ok()
}

/// The amount in WooshPay minor units, when it is a whole number of them.
pub(crate) fn to_wooshpay_minor(money: &Money) -> Option<i64> {
    money
        .to_minor_units_at(wooshpay_exponent(money.currency()))
        .ok()
}

/// Hides a secret for display: a recognizable prefix (`sk_test_`, or the
/// first three characters) followed by `****`.
pub fn mask_secret(secret: &str) -> String {
    let keep = ["sk_test_", "sk_live_", "pk_test_", "pk_live_"]
        .iter()
        .find(|prefix| secret.starts_with(*prefix))
        .map(|prefix| prefix.len())
        .unwrap_or_else(|| {
            let shown = (secret.chars().count() / 3).min(3);
            secret.chars().take(shown).map(char::len_utf8).sum()
        });
    format!("{}****", secret.get(..keep).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_prefix_and_nineteen_digits() {
        let id = new_id("PI");
        let digits = id.strip_prefix("PI").unwrap();
        assert_eq!(digits.len(), 19);
        assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(new_id("PI"), id);
    }

    #[test]
    fn percent_decoding_handles_escapes_and_refuses_broken_ones() {
        assert_eq!(percent_decode("a%2Fb+c", true).unwrap(), "a/b c");
        assert_eq!(percent_decode("a+b", false).unwrap(), "a+b");
        assert!(percent_decode("%zz", false).is_none());
        assert!(percent_decode("%2", false).is_none());
    }

    #[test]
    fn query_pairs_decode_names_and_values() {
        let pairs = query_pairs(Some(
            "page_size=10&start_time=2024-03-01T00%3A00%3A00%2B08%3A00&x",
        ));
        assert_eq!(pairs[0], ("page_size".into(), "10".into()));
        assert_eq!(pairs[1].1, "2024-03-01T00:00:00+08:00");
        assert_eq!(pairs[2], ("x".into(), String::new()));
    }

    #[test]
    fn amounts_are_written_with_the_currency_digits() {
        let m = |a, c| Money::parse(a, c).unwrap();
        assert_eq!(major_string(&m("10", "USD")), "10.00");
        assert_eq!(major_string(&m("1000", "JPY")), "1000");
        assert_eq!(major_string(&m("1.5", "KWD")), "1.500");
        assert_eq!(written_fraction_digits("10.010"), 3);
        assert_eq!(written_fraction_digits("10"), 0);
    }

    #[test]
    fn wooshpay_units_follow_the_zero_decimal_list() {
        let jpy = Currency::new("JPY").unwrap();
        let krw = Currency::new("KRW").unwrap();
        let kwd = Currency::new("KWD").unwrap();
        assert_eq!(wooshpay_exponent(jpy), 0);
        assert_eq!(wooshpay_exponent(krw), 0);
        assert_eq!(wooshpay_exponent(kwd), 3);
        assert_eq!(
            to_wooshpay_minor(&Money::parse("1.005", "KWD").unwrap()),
            Some(1005)
        );
    }

    #[test]
    fn secrets_are_masked_but_recognizable() {
        assert_eq!(mask_secret("sk_test_simulator"), "sk_test_****");
        assert_eq!(mask_secret("sim-api-key"), "sim****");
        assert_eq!(mask_secret("ab"), "****");
    }
}
