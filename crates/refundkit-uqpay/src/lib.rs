//! refundkit adapter (in progress).
