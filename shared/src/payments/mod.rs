//! Gap 2: failed-payment recovery — the parent-facing failure reason and the single-use retry
//! link (`GET /payments/retry?token=`).
pub mod failure;
pub mod retry;
