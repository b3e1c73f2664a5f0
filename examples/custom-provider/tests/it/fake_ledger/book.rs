//! The fake ledger's books: payments, refunds and the idempotency keys it
//! remembers, with the service's documented rules. No I/O.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use refundkit::toolkit::parse_plain_decimal;
use refundkit::{Currency, Decimal, Money};
use refundkit_testkit::SettleMode;
use serde_json::{json, Value};

/// An answer the server writes (and replays for a remembered key).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    pub retry_after: Option<u64>,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Self {
        Self::raw(status, "application/json", &body.to_string())
    }

    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::json(
            status,
            &json!({"error": {"code": code, "message": message}}),
        )
    }

    pub fn raw(status: u16, content_type: &'static str, body: &str) -> Self {
        Self {
            status,
            content_type,
            body: body.to_string(),
            retry_after: None,
        }
    }
}

struct Payment {
    currency: Currency,
    captured: Decimal,
    refunded: Decimal,
}

struct Booked {
    id: String,
    payment_id: String,
    amount: Money,
    body: Value,
    created: u64,
    created_at: Instant,
    settle: SettleMode,
    reads: u32,
}

impl Booked {
    fn status(&self) -> &'static str {
        let settled = match self.settle {
            SettleMode::AfterReads(reads) => self.reads > reads,
            SettleMode::AfterDelay(delay) => self.created_at.elapsed() >= delay,
            // Instant, and any mode this fake does not know.
            _ => true,
        };
        if settled {
            "succeeded"
        } else {
            "pending"
        }
    }

    fn render(&self) -> Value {
        let mut major = self.amount.amount();
        major.rescale(self.amount.currency().exponent());
        json!({
            "id": self.id,
            "payment_id": self.payment_id,
            "amount": major.to_string(),
            "currency": self.amount.currency().code(),
            "status": self.status(),
            "reason": self.body.get("reason"),
            "description": self.body.get("description"),
            "account": self.body.get("account"),
            "metadata": self.body.get("metadata").cloned().unwrap_or(json!({})),
            "created": self.created,
        })
    }
}

enum KeyState {
    Booking,
    Booked(Reply),
}

struct Key {
    body: Value,
    state: KeyState,
    since: Instant,
}

/// What a create's key says before anything is booked.
pub enum Claim {
    /// Answer this without booking (a replay, a conflict, in progress).
    Answer(Reply),
    /// The key is now held for this request: book it.
    Held,
}

pub struct Book {
    payments: HashMap<String, Payment>,
    refunds: Vec<Booked>,
    keys: HashMap<String, Key>,
    pub window: Duration,
    pub settle: SettleMode,
    issued: u64,
}

impl Book {
    pub fn new() -> Self {
        Self {
            payments: HashMap::new(),
            refunds: Vec::new(),
            keys: HashMap::new(),
            window: Duration::from_secs(24 * 60 * 60),
            settle: SettleMode::Instant,
            issued: 0,
        }
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.issued += 1;
        format!("{prefix}_{:06}", self.issued)
    }

    pub fn seed(&mut self, amount: Money) -> String {
        let id = self.next_id("lp");
        let payment = Payment {
            currency: amount.currency(),
            captured: amount.amount(),
            refunded: Decimal::ZERO,
        };
        self.payments.insert(id.clone(), payment);
        id
    }

    /// The ids of one payment's refunds, newest first.
    pub fn refund_ids_for(&self, payment_id: &str) -> Vec<String> {
        let of_payment = self
            .refunds
            .iter()
            .rev()
            .filter(|r| r.payment_id == payment_id);
        of_payment.map(|r| r.id.clone()).collect()
    }

    pub fn claim(&mut self, key: &str, body: &Value) -> Claim {
        let window = self.window;
        self.keys.retain(|_, held| held.since.elapsed() < window);
        match self.keys.get(key) {
            Some(held) if held.body != *body => Claim::Answer(Reply::error(
                409,
                "idempotency_conflict",
                "this idempotency key was used for another refund",
            )),
            Some(Key {
                state: KeyState::Booking,
                ..
            }) => Claim::Answer(Reply::error(
                409,
                "request_in_progress",
                "a refund with this idempotency key is still being booked",
            )),
            Some(Key {
                state: KeyState::Booked(reply),
                ..
            }) => Claim::Answer(reply.clone()),
            None => {
                let held = Key {
                    body: body.clone(),
                    state: KeyState::Booking,
                    since: Instant::now(),
                };
                self.keys.insert(key.to_string(), held);
                Claim::Held
            }
        }
    }

    /// Books the refund a held key asked for; a refusal frees the key.
    pub fn book(&mut self, key: &str, body: &Value) -> Reply {
        match self.book_refund(body) {
            Ok(refund) => {
                let reply = Reply::json(201, &refund);
                if let Some(held) = self.keys.get_mut(key) {
                    held.state = KeyState::Booked(reply.clone());
                }
                reply
            }
            Err(refusal) => {
                self.keys.remove(key);
                refusal
            }
        }
    }

    fn book_refund(&mut self, body: &Value) -> Result<Value, Reply> {
        let invalid = |why: &str| Reply::error(400, "invalid_request", why);
        let payment_id = body["payment_id"]
            .as_str()
            .ok_or_else(|| invalid("payment_id is required"))?;
        let payment = self
            .payments
            .get(payment_id)
            .ok_or_else(|| Reply::error(404, "not_found", format!("no payment {payment_id}")))?;
        let remaining = payment.captured - payment.refunded;
        let amount = match body["amount"].as_str() {
            None if remaining.is_zero() => Err(exceeds("nothing is left to refund")),
            None => Ok(remaining),
            Some(_) if body["currency"].as_str() != Some(payment.currency.code()) => {
                Err(invalid("currency differs from the payment's"))
            }
            Some(text) => {
                match parse_plain_decimal(text).map(|d| Money::new(d, payment.currency)) {
                    Ok(Ok(money)) if !money.is_positive() => {
                        Err(invalid("amount must be positive"))
                    }
                    Ok(Ok(money)) if money.amount() > remaining => {
                        Err(exceeds("amount exceeds what remains"))
                    }
                    Ok(Ok(money)) => Ok(money.amount()),
                    _ => Err(invalid(
                        "amount is not an exact amount in the payment's currency",
                    )),
                }
            }
        }?;
        let currency = payment.currency;
        let id = self.next_id("lr");
        if let Some(payment) = self.payments.get_mut(payment_id) {
            payment.refunded += amount;
        }
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.refunds.push(Booked {
            id,
            payment_id: payment_id.to_string(),
            amount: Money::new(amount, currency).map_err(|_| invalid("amount"))?,
            body: body.clone(),
            created,
            created_at: Instant::now(),
            settle: self.settle,
            reads: 0,
        });
        Ok(self.refunds.last().map(Booked::render).unwrap_or_default())
    }

    /// Reads one refund (a read moves an `AfterReads` refund towards settled).
    pub fn get(&mut self, id: &str) -> Reply {
        match self.refunds.iter_mut().find(|r| r.id == id) {
            Some(refund) => {
                refund.reads += 1;
                Reply::json(200, &refund.render())
            }
            None => Reply::error(404, "not_found", format!("no refund {id}")),
        }
    }

    pub fn list(&self, payment_id: Option<&str>, page: usize, page_size: usize) -> Reply {
        if page == 0 || !(1..=100).contains(&page_size) {
            return Reply::error(400, "invalid_request", "page from 1, page_size 1 to 100");
        }
        let matching: Vec<&Booked> = (self.refunds.iter().rev())
            .filter(|r| payment_id.is_none_or(|p| r.payment_id == p))
            .collect();
        let shown: Vec<Value> = (matching.iter().skip((page - 1) * page_size).take(page_size))
            .map(|r| r.render())
            .collect();
        Reply::json(200, &json!({"refunds": shown, "total": matching.len()}))
    }
}

fn exceeds(why: &str) -> Reply {
    Reply::error(422, "exceeds_available", why)
}
