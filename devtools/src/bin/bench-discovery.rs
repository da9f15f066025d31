//! The discovery-call backfill on 10,000 calls: 6,000 families (half of the calls match by email
//! and child name, a quarter by email only, an eighth by phone, the rest match nothing), timed
//! once and then run again (it must link 0). Not a test: it prints the numbers.
//!
//! TEST_DATABASE_URL=postgres://… cargo run --release -p devtools --bin bench-discovery
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = devtools::testdb::fresh_database().await?;
    let db = shared::clients::db::connect(&url).await?;
    let t = Instant::now();
    db.batch_execute(
        "ALTER TABLE children DISABLE TRIGGER trg_children_link_discovery_calls;
         INSERT INTO parents (id, user_id, name, email, phone)
           SELECT md5('p' || g)::uuid, gen_random_uuid(), 'Parent ' || g, 'parent' || g || '@example.com',
                  '+91 98' || lpad(g::text, 8, '0')
           FROM generate_series(1, 6000) g;
         INSERT INTO children (parent_id, name, created_at)
           SELECT md5('p' || (1 + g % 6000))::uuid, 'Child ' || g, NOW() - make_interval(days => g % 300)
           FROM generate_series(1, 9000) g;
         INSERT INTO discovery_calls (parent_email, parent_phone, child_name, cal_booking_uid, scheduled_at)
           SELECT CASE WHEN g % 8 < 6 THEN upper(' parent' || (1 + g % 6000) || '@Example.com ')
                       ELSE 'someone' || g || '@elsewhere.org' END,
                  CASE WHEN g % 8 = 6 THEN '098' || lpad((1 + g % 6000)::text, 8, '0') END,
                  CASE WHEN g % 8 < 4 THEN ' child  ' || g ELSE 'Nobody ' || g END,
                  'bench-' || g, NOW() - make_interval(days => g % 90)
           FROM generate_series(1, 10000) g;
         ALTER TABLE children ENABLE TRIGGER trg_children_link_discovery_calls;
         ANALYZE;",
    )
    .await?;
    println!(
        "seeded 10,000 calls, 6,000 parents, 9,000 children in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let first = shared::discovery::store::link_unlinked(&db).await?;
    let first_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let second = shared::discovery::store::link_unlinked(&db).await?;
    let second_s = t.elapsed().as_secs_f64();
    let by: Vec<(Option<String>, i64)> = db
        .query(
            "SELECT link_method, COUNT(*) FROM discovery_calls GROUP BY 1 ORDER BY 1",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    println!("| run | linked | seconds |\n|---|---:|---:|");
    println!("| first | {first} | {first_s:.2} |");
    println!("| second | {second} | {second_s:.2} |");
    println!("by method: {by:?}");
    anyhow::ensure!(second == 0, "the second run linked {second}");
    Ok(())
}
