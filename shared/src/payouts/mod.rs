//! Gap 10: coach payout reconciliation. What a UTR may look like is `utr.rs`; the receipt PDF
//! `receipt.rs` (rupees in Indian digits and words: `crate::rupees`); bank statement matching
//! `statement.rs`.
pub mod handler;
pub mod receipt;
pub mod statement;
pub mod store;
pub mod utr;

/// `payout-reconcile`: the admin's payouts list, reconcile, statement matching and receipts,
/// and the coach's own receipt.
pub static PAYOUT_RECONCILE: crate::function::Function = crate::function::Function {
    name: handler::FUNCTION,
    trigger: crate::function::Trigger::Http {
        routes: &[
            crate::function::Route {
                method: "GET",
                path: "/admin/payouts",
            },
            crate::function::Route {
                method: "POST",
                path: "/admin/payouts/{payoutId}/reconcile",
            },
            crate::function::Route {
                method: "POST",
                path: "/admin/payouts/statement",
            },
            crate::function::Route {
                method: "GET",
                path: "/admin/payouts/{payoutId}/receipt",
            },
            crate::function::Route {
                method: "GET",
                path: "/coach/payouts/{payoutId}/receipt",
            },
        ],
        handler: |ctx, req| Box::pin(handler::handle(ctx, req)),
    },
    needs: &[
        &crate::needs::DATABASE,
        &crate::needs::JWT,
        &crate::needs::NOTIFICATIONS_QUEUE,
    ],
};
