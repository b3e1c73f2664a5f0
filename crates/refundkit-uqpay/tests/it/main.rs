//! HTTP-level tests of the UQPay adapter against httpmock servers: every
//! request's method, path, headers and body are asserted.

mod common;
mod create;
mod errors;
mod full_refund;
mod hostile;
mod leaky;
mod partial_refund;
mod read;
mod secrets;
mod token;
mod webhooks;
