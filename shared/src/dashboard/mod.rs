//! Gap 3: the admin payments dashboard — a filtered list, a CSV export and the money stats, all
//! computed by Postgres in Indian business days.
pub mod export;
pub mod filters;
pub mod handler;
pub mod store;
