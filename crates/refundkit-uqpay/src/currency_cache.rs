//! What a partial refund's currency is checked against. UQPay's create has
//! no currency field, so `10.01 EUR` against a USD payment would move
//! 10.01 USD: the adapter reads the payment intent first. A payment's
//! currency never changes, so it is remembered per payment (bounded, shared
//! by clones) and the read is made once per payment.

use std::collections::HashMap;
use std::sync::Mutex;

use refundkit_core::Currency;

/// How a partial refund's currency is checked before the create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CurrencyCheck {
    /// Read the payment intent the first time a payment is refunded and
    /// remember its currency (the default): one extra request per payment.
    #[default]
    Cached,
    /// Read the payment intent before every partial refund.
    Always,
    /// Never read it: the caller's own records are authoritative for the
    /// payment's currency. A wrong currency then reaches UQPay (which refunds
    /// in the payment's currency) and is caught only afterwards, by the
    /// echo check (`IntegrityMismatch`). Full refunds still read the intent.
    Trusted,
}

/// Payments remembered at most; past it, the oldest half is forgotten.
const CAPACITY: usize = 10_000;

/// Payment currencies seen by one client (and its clones). Hashed with
/// foldhash (randomly seeded, several times faster than SipHash on short
/// ids): the keys are the merchant's own payment ids, and the map is bounded.
#[derive(Debug, Default)]
pub(crate) struct CurrencyCache {
    seen: Mutex<HashMap<String, (Currency, u64), foldhash::fast::RandomState>>,
    order: std::sync::atomic::AtomicU64,
}

impl CurrencyCache {
    /// The currency of `payment_id` as `account` sees it, if read before.
    pub fn get(&self, account: Option<&str>, payment_id: &str) -> Option<Currency> {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let found = match account {
            // The key is the payment id itself: looked up without a copy.
            None => seen.get(payment_id),
            Some(_) => seen.get(&key(account, payment_id)),
        };
        found.map(|(currency, _)| *currency)
    }

    /// Remembers `currency` for `payment_id`.
    pub fn insert(&self, account: Option<&str>, payment_id: &str, currency: Currency) {
        let stamp = self
            .order
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= CAPACITY {
            let cutoff = stamp.saturating_sub((CAPACITY / 2) as u64);
            seen.retain(|_, (_, at)| *at >= cutoff);
        }
        seen.insert(key(account, payment_id), (currency, stamp));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

fn key(account: Option<&str>, payment_id: &str) -> String {
    match account {
        Some(account) => format!("{account}/{payment_id}"),
        None => payment_id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_remembered_per_payment_and_account() {
        let cache = CurrencyCache::default();
        let usd = Currency::new("USD").unwrap();
        cache.insert(None, "PI1", usd);
        assert_eq!(cache.get(None, "PI1"), Some(usd));
        assert_eq!(cache.get(Some("acct"), "PI1"), None);
        assert_eq!(cache.get(None, "PI2"), None);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = CurrencyCache::default();
        let usd = Currency::new("USD").unwrap();
        for n in 0..(CAPACITY + 10) {
            cache.insert(None, &format!("PI{n}"), usd);
        }
        assert!(cache.len() <= CAPACITY);
        assert_eq!(cache.get(None, &format!("PI{}", CAPACITY + 9)), Some(usd));
    }
}
