//! refundkit testkit (in progress).
