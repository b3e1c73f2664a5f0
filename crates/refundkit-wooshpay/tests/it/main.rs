//! HTTP-level tests of the WooshPay adapter against httpmock servers: every
//! request's method, path, headers and body are asserted.

mod common;
mod config;
mod create;
mod errors;
mod find_by_key;
mod get;
mod hostile;
mod secrets;
mod webhooks;
