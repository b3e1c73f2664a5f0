//! Listing refunds: the query, a page of results, and what a provider
//! supports beyond create and get.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::refund::Refund;

/// A query for [`crate::RefundProvider::list_refunds`]. Pages count from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListRefunds {
    /// Only refunds of this payment (intent).
    pub payment_id: Option<String>,
    /// Filters only one provider understands (a merchant order id, say),
    /// read by that provider's adapter like a request's options; another
    /// provider refuses them.
    pub provider_options: Option<crate::ProviderOptions>,
    /// Created at or after.
    pub created_from: Option<OffsetDateTime>,
    /// Created at or before.
    pub created_to: Option<OffsetDateTime>,
    /// Page number, from 1.
    pub page: u32,
    /// Items per page, 1 to 100.
    pub page_size: u32,
}

impl Default for ListRefunds {
    fn default() -> Self {
        Self {
            payment_id: None,
            provider_options: None,
            created_from: None,
            created_to: None,
            page: 1,
            page_size: 20,
        }
    }
}

impl ListRefunds {
    /// The first page of refunds of one payment.
    pub fn for_payment(payment_id: impl Into<String>) -> Self {
        Self {
            payment_id: Some(payment_id.into()),
            ..Self::default()
        }
    }

    /// The same query at another page.
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }

    /// The same query with filters only one provider understands (read by
    /// that provider's adapter; another provider refuses them).
    pub fn provider_options(mut self, options: impl Into<crate::ProviderOptions>) -> Self {
        self.provider_options = Some(options.into());
        self
    }

    /// The same query with another page size.
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Checks the page bounds every provider shares (page ≥ 1, size 1–100).
    pub fn validate(&self) -> Result<(), crate::ValidationError> {
        if self.page == 0 {
            return Err(crate::ValidationError::new("page", "pages count from 1"));
        }
        if !(1..=100).contains(&self.page_size) {
            return Err(crate::ValidationError::new(
                "page_size",
                "must be between 1 and 100",
            ));
        }
        Ok(())
    }
}

/// One page of refunds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefundPage {
    /// The refunds on this page.
    pub refunds: Vec<Refund>,
    /// This page's number, from 1.
    pub page: u32,
    /// Total pages, when the provider says.
    pub total_pages: Option<u64>,
    /// Total items, when the provider says.
    pub total_items: Option<u64>,
}

impl RefundPage {
    /// A page of `refunds`.
    pub fn new(refunds: Vec<Refund>, page: u32) -> Self {
        Self {
            refunds,
            page,
            total_pages: None,
            total_items: None,
        }
    }

    /// Whether a later page exists, when the provider says how many there are.
    pub fn has_more(&self) -> bool {
        self.total_pages
            .is_some_and(|total| u64::from(self.page) < total)
    }
}

/// What a provider supports beyond create and get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Capabilities {
    /// `list_refunds` works.
    pub list_refunds: bool,
    /// `cancel_refund` works.
    pub cancel_refund: bool,
    /// A full refund can be requested without knowing the amount (the adapter
    /// may resolve it with an extra read).
    pub full_refunds: bool,
    /// The refund reason may be free text (else it is an enum).
    pub free_text_reason: bool,
    /// Signed webhooks can be verified.
    pub webhooks: bool,
    /// `find_refund_by_key` works: a refund can be found by its idempotency
    /// key, after the provider's idempotency window too.
    pub find_by_key: bool,
}

impl Capabilities {
    /// Create and get only.
    pub const fn minimal() -> Self {
        Self {
            list_refunds: false,
            cancel_refund: false,
            full_refunds: true,
            free_text_reason: false,
            webhooks: false,
            find_by_key: false,
        }
    }

    /// With `find_by_key` set.
    pub const fn with_find_by_key(mut self, yes: bool) -> Self {
        self.find_by_key = yes;
        self
    }

    /// With `list_refunds` set.
    pub const fn with_list_refunds(mut self, yes: bool) -> Self {
        self.list_refunds = yes;
        self
    }

    /// With `cancel_refund` set.
    pub const fn with_cancel_refund(mut self, yes: bool) -> Self {
        self.cancel_refund = yes;
        self
    }

    /// With `full_refunds` set.
    pub const fn with_full_refunds(mut self, yes: bool) -> Self {
        self.full_refunds = yes;
        self
    }

    /// With `free_text_reason` set.
    pub const fn with_free_text_reason(mut self, yes: bool) -> Self {
        self.free_text_reason = yes;
        self
    }

    /// With `webhooks` set.
    pub const fn with_webhooks(mut self, yes: bool) -> Self {
        self.webhooks = yes;
        self
    }
}
