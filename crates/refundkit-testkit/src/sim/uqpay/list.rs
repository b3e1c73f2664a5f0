//! UQPay's `GET /api/v2/payment/refunds`: page-number paging and filters.

use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::{errors, render};
use crate::sim::server::{Reply, SimRequest};
use crate::sim::SimCore;
use crate::util::{lock, query_pairs};

/// "Default time range is 1 months" (taken as 31 days).
const DEFAULT_RANGE: Duration = Duration::days(31);
/// "Maximum time range of 3 months" (taken as 92 days).
const MAX_RANGE: Duration = Duration::days(92);

/// A list query that passed validation.
#[derive(Debug, PartialEq)]
struct ListQuery {
    page_number: u64,
    page_size: u64,
    payment_intent_id: Option<String>,
    merchant_order_id: Option<String>,
    start: OffsetDateTime,
    end: OffsetDateTime,
}

fn parse_time(field: &str, text: &str) -> Result<OffsetDateTime, Reply> {
    // A raw `+` in a query decodes to a space; read it back as the offset sign.
    OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(&text.replace(' ', "+"), &Rfc3339))
        .map_err(|_| {
            errors::invalid_parameter(
                field,
                "must be an ISO 8601 time with offset, e.g. 2024-03-01T00:00:00+08:00",
            )
        })
}

fn parse_bounded(field: &str, value: Option<&str>, max: u64) -> Result<u64, Reply> {
    let bounds = if max == u64::MAX {
        "is required and must be an integer of at least 1".to_string()
    } else {
        format!("is required and must be an integer between 1 and {max}")
    };
    value
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| errors::invalid_parameter(field, bounds))
}

fn parse_query(query: Option<&str>, now: OffsetDateTime) -> Result<ListQuery, Reply> {
    let pairs = query_pairs(query);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let page_number = parse_bounded("page_number", get("page_number"), u64::MAX)?;
    let page_size = parse_bounded("page_size", get("page_size"), 100)?;
    let end = get("end_time")
        .map(|t| parse_time("end_time", t))
        .transpose()?;
    let start = get("start_time")
        .map(|t| parse_time("start_time", t))
        .transpose()?;
    let (start, end) = match (start, end) {
        (Some(start), Some(end)) => (start, end),
        (Some(start), None) => (start, (start + DEFAULT_RANGE).min(now)),
        (None, Some(end)) => (end - DEFAULT_RANGE, end),
        (None, None) => (now - DEFAULT_RANGE, now),
    };
    if end < start {
        return Err(errors::invalid_parameter(
            "end_time",
            "must not be before start_time",
        ));
    }
    if end - start > MAX_RANGE {
        return Err(errors::invalid_parameter(
            "end_time",
            "the time range may span at most 3 months",
        ));
    }
    Ok(ListQuery {
        page_number,
        page_size,
        payment_intent_id: get("payment_intent_id").map(str::to_string),
        merchant_order_id: get("merchant_order_id").map(str::to_string),
        start,
        end,
    })
}

/// `GET /api/v2/payment/refunds`, newest first.
pub(crate) fn list(core: &SimCore, request: &SimRequest) -> Reply {
    // A refund created this very second must be inside the default range.
    let now = OffsetDateTime::now_utc() + Duration::seconds(1);
    let query = match parse_query(request.query.as_deref(), now) {
        Ok(query) => query,
        Err(reply) => return reply,
    };
    let matching = lock(&core.ledger).refunds(|r, order| {
        query
            .payment_intent_id
            .as_ref()
            .is_none_or(|p| *p == r.payment_id)
            && query
                .merchant_order_id
                .as_deref()
                .is_none_or(|o| Some(o) == order)
            && r.created_at >= query.start
            && r.created_at <= query.end
    });
    let total_items = matching.len() as u64;
    let total_pages = total_items.div_ceil(query.page_size);
    let skip = (query.page_number - 1).saturating_mul(query.page_size);
    let data: Vec<_> = matching
        .iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(query.page_size).unwrap_or(100))
        .map(render::refund)
        .collect();
    Reply::json(
        200,
        &json!({"total_pages": total_pages, "total_items": total_items, "data": data}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_709_222_400).unwrap()
    }

    #[test]
    fn page_number_and_size_are_required_and_bounded() {
        assert!(parse_query(Some("page_number=1"), now()).is_err());
        assert!(parse_query(Some("page_size=10"), now()).is_err());
        assert!(parse_query(Some("page_number=0&page_size=10"), now()).is_err());
        assert!(parse_query(Some("page_number=1&page_size=101"), now()).is_err());
        let query = parse_query(Some("page_number=2&page_size=100"), now()).unwrap();
        assert_eq!((query.page_number, query.page_size), (2, 100));
        assert_eq!(query.end - query.start, DEFAULT_RANGE);
    }

    #[test]
    fn time_range_is_limited_to_three_months() {
        let ok = "page_number=1&page_size=1&start_time=2024-01-01T00:00:00%2B08:00&end_time=2024-03-31T00:00:00%2B08:00";
        assert!(parse_query(Some(ok), now()).is_ok());
        let long = "page_number=1&page_size=1&start_time=2024-01-01T00:00:00+08:00&end_time=2024-05-01T00:00:00+08:00";
        assert!(parse_query(Some(long), now()).is_err());
    }
}
