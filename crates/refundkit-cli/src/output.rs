//! `--output table`: aligned columns for humans. JSON stays the default.

use clap::ValueEnum;
use refundkit::{Money, Refund};
use serde_json::Value;

use crate::commands::Printed;

/// How results are printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// One JSON value per result (the documented shapes; for scripts).
    #[default]
    Json,
    /// Aligned columns, amounts with the currency's digits (for humans).
    Table,
}

/// `money` in major units with exactly the currency's digits: `3.00` USD,
/// `1000` JPY, `1.005` KWD. Never drops a digit the amount has.
pub fn format_amount(money: &Money) -> String {
    let mut amount = money.amount();
    let exponent = money.currency().exponent();
    if amount.scale() < exponent {
        amount.rescale(exponent);
    }
    amount.to_string()
}

/// A table: a header row and rows of cells, printed with columns padded to
/// their widest cell; numbers (the columns named in `right`) aligned right.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<usize>,
}

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            right: Vec::new(),
        }
    }

    /// Aligns column `index` right (amounts, counts).
    pub fn align_right(mut self, index: usize) -> Self {
        self.right.push(index);
        self
    }

    /// Adds a row (missing cells print empty, extra cells are kept).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, one line per row, no trailing spaces.
    pub fn render(&self) -> String {
        let columns = self
            .rows
            .iter()
            .map(Vec::len)
            .chain(std::iter::once(self.header.len()))
            .max()
            .unwrap_or(0);
        let mut widths = vec![0usize; columns];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (index, width) in widths.iter().enumerate() {
                let cell = row.get(index).map(String::as_str).unwrap_or("");
                let pad = width.saturating_sub(cell.chars().count());
                if index > 0 {
                    line.push_str("  ");
                }
                if self.right.contains(&index) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

const REFUND_COLUMNS: [&str; 6] = ["REF", "PAYMENT", "AMOUNT", "CURRENCY", "STATUS", "CREATED"];

fn rfc3339(at: Option<time::OffsetDateTime>) -> String {
    at.and_then(|at| {
        at.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .unwrap_or_default()
}

/// The cells of [`REFUND_COLUMNS`] for `refund`.
pub fn refund_cells(refund: &Refund) -> Vec<String> {
    vec![
        refund.refund_ref().to_string(),
        refund.payment_id.clone().unwrap_or_default(),
        format_amount(&refund.amount),
        refund.amount.currency().to_string(),
        refund.status.to_string(),
        rfc3339(refund.created_at),
    ]
}

fn refund_table() -> Table {
    Table::new(&REFUND_COLUMNS).align_right(2)
}

/// Field / value rows of a JSON object's scalar members (an event).
fn object_table(value: &Value) -> Table {
    let mut table = Table::new(&["FIELD", "VALUE"]);
    if let Value::Object(members) = value {
        for (name, member) in members {
            let text = match member {
                Value::String(text) => text.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            table.row(vec![name.clone(), text]);
        }
    }
    table
}

/// What `refundkit` prints on stdout for `value` with `--output table`.
pub fn table(value: &Printed) -> String {
    match value {
        Printed::Created(created) => {
            let mut columns = REFUND_COLUMNS.to_vec();
            columns.extend(["REFERENCE", "IDEMPOTENCY_KEY"]);
            let mut table = Table::new(&columns).align_right(2);
            let mut cells = refund_cells(&created.refund);
            cells.push(created.reference.clone().unwrap_or_default());
            cells.push(created.idempotency_key.to_string());
            table.row(cells);
            table.render()
        }
        Printed::Refund(refund) => {
            let mut table = refund_table();
            table.row(refund_cells(refund));
            table.render()
        }
        Printed::Page(page) => {
            let mut table = refund_table();
            for refund in &page.refunds {
                table.row(refund_cells(refund));
            }
            let mut text = table.render();
            let pages = page
                .total_pages
                .map(|total| format!(" of {total}"))
                .unwrap_or_default();
            let items = page
                .total_items
                .map(|total| {
                    let plural = if total == 1 { "" } else { "s" };
                    format!(", {total} refund{plural} in all")
                })
                .unwrap_or_default();
            text.push_str(&format!("page {}{pages}{items}\n", page.page));
            text
        }
        Printed::Event(event) => {
            let mut json = serde_json::to_value(event).unwrap_or(Value::Null);
            if let Value::Object(members) = &mut json {
                members.remove("refund");
            }
            let mut refund = refund_table();
            refund.row(refund_cells(&event.refund));
            format!("{}\n{}", object_table(&json).render(), refund.render())
        }
        Printed::History(history) => crate::journal::table(history),
        Printed::Reconciled(report) => {
            let json = serde_json::to_value(report).unwrap_or(Value::Null);
            object_table(&json).render()
        }
        Printed::Text(text) => text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_have_the_currency_digits() {
        let cases = [
            ("3", "USD", "3.00"),
            ("3.5", "USD", "3.50"),
            ("10.01", "USD", "10.01"),
            ("1000", "JPY", "1000"),
            ("1.005", "KWD", "1.005"),
            ("1", "KWD", "1.000"),
        ];
        for (amount, currency, shown) in cases {
            let money = Money::parse(amount, currency).unwrap();
            assert_eq!(format_amount(&money), shown, "{amount} {currency}");
        }
    }

    #[test]
    fn tables_align_columns_and_right_align_numbers() {
        let mut table = Table::new(&["A", "AMOUNT", "Z"]).align_right(1);
        table.row(vec!["long value".into(), "3.00".into(), "x".into()]);
        table.row(vec!["b".into(), "1000.00".into()]);
        assert_eq!(
            table.render(),
            "A            AMOUNT  Z\n\
             long value     3.00  x\n\
             b           1000.00\n"
        );
    }
}
