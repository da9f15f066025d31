//! Gap 10: coach payout reconciliation. What a UTR may look like is `utr.rs`; the receipt PDF
//! `receipt.rs` (rupees in Indian digits and words: `crate::common::rupees`); bank statement matching
//! `statement.rs`.
pub mod handler;
pub mod receipt;
pub mod service;
pub mod statement;
pub mod store;
pub mod utr;

/// `payout-reconcile`: the admin's payouts list, reconcile, statement matching and receipts,
/// and the coach's own receipt.
pub static PAYOUT_RECONCILE: crate::runtime::function::Function =
    crate::runtime::function::Function {
        name: handler::FUNCTION,
        trigger: crate::runtime::function::Trigger::Http {
            routes: &[
                handler::LIST,
                handler::RECONCILE,
                handler::STATEMENT,
                handler::RECEIPT,
                handler::COACH_RECEIPT,
            ],
            handler: |ctx, req| Box::pin(handler::handle(ctx, req)),
        },
        needs: &[
            &crate::runtime::needs::DATABASE,
            &crate::runtime::needs::JWT,
            &crate::runtime::needs::NOTIFICATIONS_QUEUE,
        ],
    };
