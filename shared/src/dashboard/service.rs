//! The dashboard service: the list's exact total, from the per-day counts when the filters
//! allow (no text search) and they are built, else counted over the matching rows.
use super::filters::Filters;
use super::{store, total_plan};
use tokio_postgres::GenericClient;

pub async fn total(db: &impl GenericClient, f: &Filters) -> Result<i64, tokio_postgres::Error> {
    if f.q.is_none() {
        let plan = total_plan::plan(f.from, f.to);
        if let Some(n) = store::count_by_plan(db, &plan, &f.statuses).await? {
            return Ok(n);
        }
    }
    store::count_payments(db, f).await
}
