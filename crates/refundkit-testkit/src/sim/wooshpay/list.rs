//! WooshPay's `GET /v1/refunds`: Stripe's cursor list, **assumed** (WooshPay
//! documents no refund list; `docs/wire-assumptions.md`). Newest first,
//! `payment_intent` filter, `limit` 1–100 (default 10), `starting_after` /
//! `ending_before` cursors (refund ids), and the list object
//! `{"object":"list","url":"/v1/refunds","has_more":…,"data":[…]}`.

use serde_json::json;

use super::{errors, render};
use crate::model::SimRefund;
use crate::sim::server::{Reply, SimRequest};
use crate::sim::SimCore;
use crate::util::{lock, query_pairs};

/// Stripe's default page size.
const DEFAULT_LIMIT: usize = 10;
/// Stripe's largest page size.
const MAX_LIMIT: usize = 100;
/// The parameters the list takes; any other is refused, as Stripe does.
const PARAMETERS: [&str; 4] = ["payment_intent", "limit", "starting_after", "ending_before"];

/// Which way a cursor pages.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cursor {
    /// The page after this refund (older ones).
    StartingAfter(String),
    /// The page before this refund (newer ones).
    EndingBefore(String),
}

/// A list query that passed validation.
#[derive(Debug, PartialEq, Eq)]
struct ListQuery {
    payment_intent: Option<String>,
    limit: usize,
    cursor: Option<Cursor>,
}

fn parse_query(query: Option<&str>) -> Result<ListQuery, Reply> {
    let pairs = query_pairs(query);
    if let Some((name, _)) = pairs
        .iter()
        .find(|(n, _)| !PARAMETERS.contains(&n.as_str()))
    {
        return Err(errors::unknown_parameter(name));
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let limit = match get("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                errors::invalid_integer(
                    "limit",
                    format!("Invalid integer: limit must be between 1 and {MAX_LIMIT}."),
                )
            })?,
    };
    let cursor = match (get("starting_after"), get("ending_before")) {
        (Some(_), Some(_)) => {
            return Err(errors::invalid_parameter(
                None,
                "You may only specify one of these parameters: starting_after, ending_before."
                    .into(),
            ))
        }
        (Some(id), None) => Some(Cursor::StartingAfter(id.to_string())),
        (None, Some(id)) => Some(Cursor::EndingBefore(id.to_string())),
        (None, None) => None,
    };
    if let Some(Cursor::StartingAfter(id) | Cursor::EndingBefore(id)) = &cursor {
        if id.is_empty() {
            return Err(errors::invalid_parameter(
                None,
                "A cursor (starting_after, ending_before) must be an object id.".into(),
            ));
        }
    }
    Ok(ListQuery {
        payment_intent: get("payment_intent")
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        limit,
        cursor,
    })
}

/// One page of `matching` (newest first) and whether more follow in the
/// direction paged; `None` when the cursor is not in the list.
fn page(matching: &[SimRefund], query: &ListQuery) -> Option<(Vec<SimRefund>, bool)> {
    let position = |id: &str| matching.iter().position(|r| r.id == id);
    let (slice, has_more) = match &query.cursor {
        None => {
            let end = query.limit.min(matching.len());
            (matching.get(..end)?, matching.len() > end)
        }
        Some(Cursor::StartingAfter(id)) => {
            let older = matching.get(position(id)?.saturating_add(1)..)?;
            let end = query.limit.min(older.len());
            (older.get(..end)?, older.len() > end)
        }
        Some(Cursor::EndingBefore(id)) => {
            let newer = matching.get(..position(id)?)?;
            let start = newer.len().saturating_sub(query.limit);
            (newer.get(start..)?, start > 0)
        }
    };
    Some((slice.to_vec(), has_more))
}

/// `GET /v1/refunds`.
pub(crate) fn list(core: &SimCore, request: &SimRequest) -> Reply {
    let query = match parse_query(request.query.as_deref()) {
        Ok(query) => query,
        Err(reply) => return reply,
    };
    let mut ledger = lock(&core.ledger);
    if let Some(payment) = &query.payment_intent {
        if ledger.currency_of(payment).is_none() {
            return errors::no_such_payment_intent(payment);
        }
    }
    let matching = ledger.refunds(|r, _| {
        query
            .payment_intent
            .as_ref()
            .is_none_or(|p| *p == r.payment_id)
    });
    drop(ledger);
    let Some((refunds, has_more)) = page(&matching, &query) else {
        let (param, id) = match &query.cursor {
            Some(Cursor::StartingAfter(id)) => ("starting_after", id.as_str()),
            Some(Cursor::EndingBefore(id)) => ("ending_before", id.as_str()),
            None => ("starting_after", ""),
        };
        return errors::no_such_cursor(param, id);
    };
    let data: Vec<_> = refunds.iter().map(render::refund).collect();
    Reply::json(
        200,
        &json!({"object": "list", "url": "/v1/refunds", "has_more": has_more, "data": data}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_to_ten_and_is_bounded() {
        assert_eq!(parse_query(None).unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(parse_query(Some("limit=100")).unwrap().limit, 100);
        assert!(parse_query(Some("limit=0")).is_err());
        assert!(parse_query(Some("limit=101")).is_err());
        assert!(parse_query(Some("limit=ten")).is_err());
    }

    #[test]
    fn cursors_are_exclusive_and_unknown_parameters_refused() {
        let query = parse_query(Some("payment_intent=pi_1&starting_after=re_1")).unwrap();
        assert_eq!(query.payment_intent.as_deref(), Some("pi_1"));
        assert_eq!(query.cursor, Some(Cursor::StartingAfter("re_1".into())));
        assert!(parse_query(Some("starting_after=re_1&ending_before=re_2")).is_err());
        assert!(parse_query(Some("starting_after=")).is_err());
        assert!(parse_query(Some("charge=ch_1")).is_err());
    }
}
