//! Unit tests of bulk rows, outcomes and the summary.

use refundkit::{IdempotencyKey, RefundAmount, RefundReason};

use super::report::*;
use super::rows::*;
use super::*;

fn raw(line: u64, pairs: &[(&str, &str)]) -> RawRow {
    RawRow {
        line,
        fields: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

#[test]
fn rows_validate_and_name_the_field() {
    let good = raw(
        2,
        &[
            ("provider", "uqpay"),
            ("payment", "PI1"),
            ("amount", "3"),
            ("currency", "USD"),
            ("reason", "duplicate"),
            ("reference", "order-1"),
        ],
    );
    let row = validate(&good, "ns").unwrap();
    assert_eq!(row.provider, refundkit::uqpay::PROVIDER);
    assert_eq!(
        row.request.idempotency_key(),
        &IdempotencyKey::derive("ns", "order-1").unwrap()
    );
    let full = raw(
        3,
        &[
            ("provider", "WooshPay"),
            ("payment", "pi_1"),
            ("reason", "requested_by_customer"),
            ("reference", "order-2"),
        ],
    );
    assert!(matches!(
        validate(&full, "ns").unwrap().request.amount(),
        RefundAmount::Full
    ));
    let cases = [
        (("provider", "stripe"), "provider"),
        (("amount", "1.001"), "amount"),
        (("currency", ""), "currency"),
        (("reason", "because"), "reason"),
        (("reference", ""), "reference"),
        (("payment", ""), "payment"),
    ];
    for ((name, value), field) in cases {
        let mut row = good.clone();
        row.fields.insert(name.into(), value.into());
        let error = validate(&row, "ns").unwrap_err();
        assert_eq!(error.field(), field, "{name}={value}");
    }
}

#[test]
fn reason_other_takes_the_description_column() {
    let mut row = raw(
        2,
        &[
            ("provider", "uqpay"),
            ("payment", "PI1"),
            ("reason", "other"),
            ("reference", "order-1"),
        ],
    );
    assert_eq!(validate(&row, "ns").unwrap_err().field(), "reason");
    row.fields
        .insert("description".into(), "goodwill gesture".into());
    let row = validate(&row, "ns").unwrap();
    assert_eq!(
        row.request.reason(),
        &RefundReason::Other("goodwill gesture".into())
    );
}

#[test]
fn a_csv_header_with_a_byte_order_mark_is_read() {
    let dir = std::env::temp_dir().join(format!("refundkit-bom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("refunds.csv");
    std::fs::write(
        &path,
        "\u{feff}provider,payment,amount,currency,reason,reference\nuqpay,PI1,1,USD,duplicate,r-1\n",
    )
    .unwrap();
    let rows = read_csv(&path).unwrap();
    assert_eq!(rows.len(), 1);
    let row = rows.into_iter().next().unwrap().unwrap();
    assert_eq!((row.line, row.get("provider")), (2, "uqpay"));
}

#[test]
fn the_worst_outcome_decides_the_exit_code() {
    let mut tally = Tally::default();
    tally.add(Outcome::Ok, None);
    assert_eq!(exit_code(&tally, false), 0);
    tally.add(Outcome::Invalid, None);
    assert_eq!(exit_code(&tally, false), 2);
    tally.add(Outcome::Failed, None);
    assert_eq!(exit_code(&tally, false), 3);
    tally.add(Outcome::Unknown, None);
    assert_eq!(exit_code(&tally, false), 4);
}
