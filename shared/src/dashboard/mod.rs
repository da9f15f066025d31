//! Gap 3: the admin payments dashboard — a filtered list, a CSV export and the money stats, all
//! computed by Postgres in Indian business days.
pub mod export;
pub mod filters;
pub mod handler;
pub mod store;
pub mod upload;

/// `payments-list`: the list and the CSV export.
pub static LIST: crate::function::Function = crate::function::Function {
    name: handler::LIST_FUNCTION,
    trigger: crate::function::Trigger::Http {
        routes: &[
            crate::function::Route {
                method: "GET",
                path: "/admin/payments",
            },
            crate::function::Route {
                method: "GET",
                path: "/admin/payments/export",
            },
        ],
        handler: |ctx, req| Box::pin(handler::handle_list(ctx, req)),
    },
    needs: &[
        &crate::needs::DATABASE,
        &crate::needs::JWT,
        &crate::needs::EXPORTS,
    ],
};

/// `payments-stats`: revenue, refunds and failures in Indian business days.
pub static STATS: crate::function::Function = crate::function::Function {
    name: handler::STATS_FUNCTION,
    trigger: crate::function::Trigger::Http {
        routes: &[crate::function::Route {
            method: "GET",
            path: "/admin/payments/stats",
        }],
        handler: |ctx, req| Box::pin(handler::handle_stats(ctx, req)),
    },
    needs: &[&crate::needs::DATABASE, &crate::needs::JWT],
};
