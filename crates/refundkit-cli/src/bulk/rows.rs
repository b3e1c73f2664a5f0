//! Reading a bulk file: CSV or JSON lines, each row checked into a request
//! or reported with its line number.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use clap::ValueEnum;
use refundkit::{Money, ProviderId, RefundAmount, RefundReason, RefundRequest, ValidationError};
use serde_json::Value;

use crate::args::ReasonArg;

use super::*;

/// A row as read, every field text (empty when missing).
#[derive(Debug, Default, Clone)]
pub(super) struct RawRow {
    pub(super) line: u64,
    pub(super) fields: HashMap<String, String>,
}

impl RawRow {
    pub(super) fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(|v| v.trim()).unwrap_or("")
    }
}

/// A row ready to send.
#[derive(Debug)]
pub(super) struct Row {
    pub(super) line: u64,
    pub(super) reference: String,
    pub(super) provider: ProviderId,
    pub(super) request: RefundRequest,
}

/// A row that could not be read or validated.
#[derive(Debug)]
pub(super) struct BadRow {
    pub(super) line: u64,
    pub(super) reference: Option<String>,
    pub(super) field: String,
    pub(super) message: String,
}

/// A whole-file problem (unreadable, no header): exit 2 before any row.
#[derive(Debug)]
pub struct FileError(pub ValidationError);

pub(super) fn file_error(message: impl Into<String>) -> FileError {
    FileError(ValidationError::new("file", message))
}

pub(super) fn format_of(args: &BulkArgs) -> Result<BulkFormat, FileError> {
    if let Some(format) = args.format {
        return Ok(format);
    }
    let extension = args
        .file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("csv") => Ok(BulkFormat::Csv),
        Some("jsonl") | Some("ndjson") => Ok(BulkFormat::Jsonl),
        _ => Err(file_error(format!(
            "cannot tell the format of {} from its extension: name it .csv or .jsonl, or give --format csv|jsonl",
            args.file.display()
        ))),
    }
}

pub(super) fn open(path: &Path) -> Result<std::fs::File, FileError> {
    std::fs::File::open(path)
        .map_err(|e| file_error(format!("cannot read {}: {e}", path.display())))
}

/// The rows of a CSV file; bad records come back as errors with their line.
pub(super) fn read_csv(path: &Path) -> Result<Vec<Result<RawRow, BadRow>>, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(open(path)?);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| file_error(format!("line 1: cannot read the CSV header: {e}")))?
        .iter()
        // A spreadsheet's UTF-8 byte-order mark is not part of the first name.
        .map(|name| {
            name.trim_start_matches('\u{feff}')
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|column| !header.iter().any(|name| name == column))
        .collect();
    if !missing.is_empty() {
        return Err(file_error(format!(
            "line 1: the CSV header lacks the column(s) {}; it needs {}",
            missing.join(", "),
            COLUMNS.join(",")
        )));
    }
    let mut rows = Vec::new();
    let mut last_line = 1;
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(last_line + 1, |p| p.line());
                last_line = line;
                if record.iter().all(|cell| cell.trim().is_empty()) {
                    continue;
                }
                if record.len() > header.len() {
                    rows.push(Err(BadRow {
                        line,
                        reference: None,
                        field: "row".into(),
                        message: format!(
                            "{} fields, the header has {}",
                            record.len(),
                            header.len()
                        ),
                    }));
                    continue;
                }
                let fields = header
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_string))
                    .collect();
                rows.push(Ok(RawRow { line, fields }));
            }
            Err(error) => {
                let line = error
                    .position()
                    .map_or(last_line + 1, |position| position.line());
                last_line = line;
                rows.push(Err(BadRow {
                    line,
                    reference: None,
                    field: "row".into(),
                    message: format!("not a CSV record: {}", csv_error_text(&error)),
                }));
            }
        }
    }
    Ok(rows)
}

pub(super) fn csv_error_text(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        csv::ErrorKind::Io(e) => e.to_string(),
        _ => error.to_string(),
    }
}

/// The rows of a JSON-lines file; blank lines are skipped.
pub(super) fn read_jsonl(path: &Path) -> Result<Vec<Result<RawRow, BadRow>>, FileError> {
    let reader = std::io::BufReader::new(open(path)?);
    let mut rows = Vec::new();
    for (index, text) in reader.split(b'\n').enumerate() {
        let line = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1);
        let bad = |message: String| BadRow {
            line,
            reference: None,
            field: "row".into(),
            message,
        };
        let bytes = text.map_err(|e| file_error(format!("line {line}: cannot read: {e}")))?;
        let Ok(text) = String::from_utf8(bytes) else {
            rows.push(Err(bad("invalid UTF-8".into())));
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(object)) => object,
            Ok(_) => {
                rows.push(Err(bad("not a JSON object".into())));
                continue;
            }
            Err(error) => {
                rows.push(Err(bad(format!("not JSON: {error}"))));
                continue;
            }
        };
        let mut fields = HashMap::new();
        let mut problem = None;
        for (name, value) in object {
            let text = match value {
                Value::Null => String::new(),
                Value::String(text) => text,
                // Integers are exact; a fraction in a JSON number is not.
                Value::Number(number) if number.is_u64() || number.is_i64() => number.to_string(),
                Value::Number(_) => {
                    problem.get_or_insert_with(|| BadRow {
                        line,
                        reference: None,
                        field: name.clone(),
                        message: "give amounts with a fraction as a JSON string (\"10.01\"), not a number".into(),
                    });
                    continue;
                }
                _ => {
                    problem.get_or_insert_with(|| BadRow {
                        line,
                        reference: None,
                        field: name.clone(),
                        message: "must be a string".into(),
                    });
                    continue;
                }
            };
            fields.insert(name.to_ascii_lowercase(), text);
        }
        let raw = RawRow { line, fields };
        rows.push(match problem {
            Some(mut problem) => {
                let reference = raw.get("reference");
                problem.reference = (!reference.is_empty()).then(|| reference.to_string());
                Err(problem)
            }
            None => Ok(raw),
        });
    }
    Ok(rows)
}

pub(super) fn parse_provider(text: &str) -> Result<ProviderId, ValidationError> {
    if text.trim().is_empty() {
        let names = refundkit::builtin_provider_names();
        return Err(ValidationError::new(
            "provider",
            format!("is empty: one of {names}"),
        ));
    }
    // The cell is not quoted: a shifted column may hold a key.
    refundkit::builtin_provider(text)
        .map(|descriptor| descriptor.id())
        .map_err(|_| {
            let names = refundkit::builtin_provider_names();
            ValidationError::new("provider", format!("is not one of {names}"))
        })
}

pub(super) fn parse_reason(text: &str, description: &str) -> Result<RefundReason, ValidationError> {
    let reason = ReasonArg::from_str(text, true).map_err(|_| {
        ValidationError::new(
            "reason",
            "is not one of duplicate, fraudulent, requested_by_customer, resolved_dispute, other",
        )
    })?;
    Ok(match reason {
        ReasonArg::Duplicate => RefundReason::Duplicate,
        ReasonArg::Fraudulent => RefundReason::Fraudulent,
        ReasonArg::RequestedByCustomer => RefundReason::RequestedByCustomer,
        ReasonArg::ResolvedDispute => RefundReason::ResolvedDispute,
        ReasonArg::Other if description.is_empty() => {
            return Err(ValidationError::new(
                "reason",
                "other needs the text in a description column",
            ))
        }
        ReasonArg::Other => RefundReason::Other(description.to_string()),
    })
}

pub(super) fn validate(raw: &RawRow, namespace: &str) -> Result<Row, ValidationError> {
    let provider = parse_provider(raw.get("provider"))?;
    let payment = raw.get("payment");
    if payment.is_empty() {
        return Err(ValidationError::new("payment", "is empty"));
    }
    let amount = match (raw.get("amount"), raw.get("currency")) {
        ("", "") => RefundAmount::Full,
        ("", _) => {
            return Err(ValidationError::new(
                "amount",
                "is empty but currency is not: give both, or neither for a full refund",
            ))
        }
        (_, "") => {
            return Err(ValidationError::new(
                "currency",
                "is empty but amount is not: give both, or neither for a full refund",
            ))
        }
        (amount, currency) => RefundAmount::Partial(
            Money::parse(amount, currency).map_err(|e| ValidationError::money("amount", e))?,
        ),
    };
    let description = raw.get("description");
    let reason = parse_reason(raw.get("reason"), description)?;
    let reference = raw.get("reference");
    if reference.is_empty() {
        return Err(ValidationError::new(
            "reference",
            "is empty: each row needs its own reference (its idempotency key is derived from it)",
        ));
    }
    let mut builder =
        RefundRequest::builder(payment.to_string(), amount, reason).reference(namespace, reference);
    if !description.is_empty()
        && !matches!(
            ReasonArg::from_str(raw.get("reason"), true),
            Ok(ReasonArg::Other)
        )
    {
        builder = builder.description(description.to_string());
    }
    let request = builder.build()?;
    Ok(Row {
        line: raw.line,
        reference: reference.to_string(),
        provider,
        request,
    })
}

/// Reads and validates the whole file: the rows to send and the bad ones,
/// in file order. A reference on two rows is refused on the second.
pub(super) fn load(args: &BulkArgs) -> Result<(Vec<Row>, Vec<BadRow>), FileError> {
    let raws = match format_of(args)? {
        BulkFormat::Csv => read_csv(&args.file)?,
        BulkFormat::Jsonl => read_jsonl(&args.file)?,
    };
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for raw in raws {
        let raw = match raw {
            Ok(raw) => raw,
            Err(row) => {
                bad.push(row);
                continue;
            }
        };
        let reference = raw.get("reference").to_string();
        let reference_option = (!reference.is_empty()).then(|| reference.clone());
        match validate(&raw, &args.namespace) {
            Ok(row) => {
                if let Some(first) = seen.get(&row.reference) {
                    bad.push(BadRow {
                        line: row.line,
                        reference: reference_option,
                        field: "reference".into(),
                        message: format!(
                            "{:?} is already the reference of line {first}: each refund needs its own",
                            row.reference
                        ),
                    });
                    continue;
                }
                seen.insert(row.reference.clone(), row.line);
                rows.push(row);
            }
            Err(error) => bad.push(BadRow {
                line: raw.line,
                reference: reference_option,
                field: error.field().to_string(),
                message: error.message().to_string(),
            }),
        }
    }
    Ok((rows, bad))
}
