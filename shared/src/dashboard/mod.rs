//! Gap 3: the admin payments dashboard — a filtered list, a CSV export and the money stats, all
//! computed by Postgres in Indian business days.
pub mod export;
pub mod filters;
pub mod handler;
pub mod service;
pub mod store;
pub mod total_plan;
pub mod upload;

/// `payments-list`: the list and the CSV export.
pub static LIST: crate::runtime::function::Function = crate::runtime::function::Function {
    name: handler::LIST_FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[handler::LIST, handler::EXPORT],
        handler: |ctx, req| Box::pin(handler::handle_list(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::JWT,
        &crate::runtime::needs::EXPORTS,
    ],
};

/// `payments-stats`: revenue, refunds and failures in Indian business days.
pub static STATS: crate::runtime::function::Function = crate::runtime::function::Function {
    name: handler::STATS_FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[crate::runtime::function::Route {
            method: "GET",
            path: "/admin/payments/stats",
        }],
        handler: |ctx, req| Box::pin(handler::handle_stats(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::JWT,
    ],
};
