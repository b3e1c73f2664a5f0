//! Unit tests of config.rs: key prefixes, hosts, exponent overrides.

use super::*;

fn build(key: &str, base_url: Option<&str>) -> Result<WooshPayConfig, RefundError> {
    let mut builder = WooshPayConfig::builder(SecretString::from(key));
    if let Some(url) = base_url {
        builder = builder.base_url(url);
    }
    builder.build()
}

#[test]
fn key_prefix_picks_the_host() {
    let test = build("sk_test_abc", None).unwrap();
    assert_eq!(
        test.base_url().as_url().as_str(),
        "https://apitest.wooshpay.com/"
    );
    let live = build("sk_live_abc", None).unwrap();
    assert_eq!(
        live.base_url().as_url().as_str(),
        "https://api.wooshpay.com/"
    );
}

#[test]
fn publishable_keys_are_refused_even_with_a_base_url() {
    for key in ["pk_test_abc", "pk_live_abc"] {
        assert!(matches!(build(key, None), Err(RefundError::Config(_))));
        assert!(matches!(
            build(key, Some("http://127.0.0.1:9")),
            Err(RefundError::Config(_))
        ));
    }
}

#[test]
fn unknown_prefix_needs_an_explicit_base_url() {
    assert!(matches!(
        build("rk_test_abc", None),
        Err(RefundError::Config(_))
    ));
    assert!(build("rk_test_abc", Some("http://127.0.0.1:9")).is_ok());
}

#[test]
fn key_and_host_of_different_modes_are_refused() {
    assert!(build("sk_test_abc", Some(LIVE_BASE_URL)).is_err());
    assert!(build("sk_live_abc", Some(TEST_BASE_URL)).is_err());
    assert!(build("sk_live_abc", Some(LIVE_BASE_URL)).is_ok());
}

#[test]
fn base_url_must_be_https_except_loopback() {
    let error = build("sk_test_abc", Some("http://example.com")).unwrap_err();
    assert!(error.to_string().contains(ENV_BASE_URL), "{error}");
    assert!(build("sk_test_abc", Some("http://localhost:8080")).is_ok());
}

#[test]
fn malformed_keys_are_refused_without_echoing_them() {
    for key in ["", "sk_test_abc\n", "sk_test_a b", "sk_test_a:b"] {
        let error = build(key, None).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(ENV_SECRET_KEY), "{text}");
        if !key.is_empty() {
            assert!(!text.contains(key.trim()), "{text}");
        }
    }
}

#[test]
fn exponent_overrides_win_and_are_bounded() {
    let jpy = Currency::new("JPY").unwrap();
    let usd = Currency::new("USD").unwrap();
    let config = WooshPayConfig::builder(SecretString::from("sk_test_abc"))
        .currency_exponent(jpy, 2)
        .build()
        .unwrap();
    assert_eq!(config.currency_exponent(jpy), 2);
    assert_eq!(config.currency_exponent(usd), 2);
    let too_big = WooshPayConfig::builder(SecretString::from("sk_test_abc"))
        .currency_exponent(usd, 9)
        .build();
    assert!(matches!(too_big, Err(RefundError::Config(_))));
}

#[test]
fn zero_decimal_list_can_be_replaced() {
    let jpy = Currency::new("JPY").unwrap();
    let mga = Currency::new("MGA").unwrap();
    let config = WooshPayConfig::builder(SecretString::from("sk_test_abc"))
        .zero_decimal_currencies([jpy])
        .build()
        .unwrap();
    assert_eq!(config.currency_exponent(jpy), 0);
    assert_eq!(config.currency_exponent(mga), 2, "back to ISO 4217");
}
