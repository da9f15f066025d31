//! Demo data for local-api: parents, children, coaches, enrollments with payments and sessions.
//! Fixed ids, so seeding twice changes nothing and the README's curl examples keep working.
use uuid::Uuid;

/// The JWT secret local-api uses when none is set (the `events/` samples are signed with it).
pub const DEV_JWT_SECRET: &str = "local-dev-jwt-secret-not-for-production-000";
/// The Razorpay webhook secret local-api uses when none is set (signs the webhook samples).
pub const DEV_WEBHOOK_SECRET: &str = "local-dev-webhook-secret";

/// The Cal.com webhook secret local-api uses when none is set (signs `events/cal-webhook*.json`).
pub const DEV_CAL_SECRET: &str = "local-dev-cal-secret";

pub const ADMIN_USER_ID: &str = "00000000-0000-4000-8000-00000000a001";
pub const PARENT_USER_ID: &str = "00000000-0000-4000-8000-00000000b001";
/// The demo coach Anita's auth user (her token carries her email, anita@example.com).
pub const COACH_USER_ID: &str = "00000000-0000-4000-8000-00000000c001";
pub const PARENT_ID: &str = "00000000-0000-4000-8000-0000000000f1";
/// 8 sessions, 3 completed, paid 10 days ago: a prorated refund.
pub const ENROLLMENT_PRORATED: &str = "00000000-0000-4000-8000-0000000000e1";
/// 8 sessions, none completed, paid 2 hours ago: a full refund.
pub const ENROLLMENT_FULL: &str = "00000000-0000-4000-8000-0000000000e2";

/// 8 sessions, 2 completed, ended by a refund Razorpay accepted and then failed: retry it.
pub const ENROLLMENT_REFUND_FAILED: &str = "00000000-0000-4000-8000-0000000000e3";
/// The failed termination of `ENROLLMENT_REFUND_FAILED` (`POST /admin/refunds/{id}/retry`).
pub const TERMINATION_FAILED: &str = "00000000-0000-4000-8000-0000000000a3";

/// Vihaan's enrollment with coach Anita: the README's rescheduling example moves its session
/// (its own enrollment, so the refund examples above it in the README leave it alone).
pub const ENROLLMENT_RESCHEDULE: &str = "00000000-0000-4000-8000-0000000000e4";
/// Vihaan, Priya's third child.
pub const RESCHEDULE_CHILD: &str = "00000000-0000-4000-8000-0000000000d5";

/// (razorpay payment id, amount in paise) of every captured demo payment.
pub const PAYMENTS: &[(&str, i64)] = &[
    ("pay_DemoProrated01", 24000),
    ("pay_DemoFullRfnd02", 36000),
    ("pay_DemoRfndFail03", 24000),
    ("pay_DemoResched004", 24000),
];

fn id(s: &str) -> anyhow::Result<Uuid> {
    Ok(Uuid::parse_str(s)?)
}

/// A captured payment of (enrollment, parent), `hours_ago` hours back.
async fn insert_payment(
    client: &impl tokio_postgres::GenericClient,
    (enrollment, parent): (Uuid, Uuid),
    (payment_id, amount): (&str, i64),
    hours_ago: f64,
) -> anyhow::Result<()> {
    client
        .execute(
            "INSERT INTO payments (enrollment_id, parent_id, razorpay_order_id, razorpay_payment_id, amount, status, captured_at, created_at)
             VALUES ($1, $2, $3, $4, $5, 'captured', NOW() - make_interval(secs => $6::DOUBLE PRECISION * 3600),
                     NOW() - make_interval(secs => $6::DOUBLE PRECISION * 3600))",
            &[&enrollment, &parent, &format!("order_{}", &payment_id[4..]), &payment_id, &amount, &hours_ago],
        )
        .await?;
    Ok(())
}

pub async fn seed(conn: &mut tokio_postgres::Client) -> anyhow::Result<()> {
    let client = conn.transaction().await?;
    let parent = id(PARENT_ID)?;
    let parent_user = id(PARENT_USER_ID)?;
    let coach = id("00000000-0000-4000-8000-0000000000c1")?;
    let child1 = id("00000000-0000-4000-8000-0000000000d1")?;
    let child2 = id("00000000-0000-4000-8000-0000000000d2")?;
    let e1 = id(ENROLLMENT_PRORATED)?;
    let e2 = id(ENROLLMENT_FULL)?;
    client
        .execute(
            "INSERT INTO parents (id, user_id, name, email, phone) VALUES ($1, $2, 'Priya Sharma', 'priya@example.com', '+919800000001')
             ON CONFLICT (id) DO NOTHING",
            &[&parent, &parent_user],
        )
        .await?;
    client
        .execute(
            "INSERT INTO coaches (id, name, email, phone) VALUES ($1, 'Anita Desai', 'anita@example.com', '+919800000002')
             ON CONFLICT (id) DO NOTHING",
            &[&coach],
        )
        .await?;
    for (child, name, age) in [(child1, "Aarav", 6), (child2, "Diya", 8)] {
        client
            .execute(
                "INSERT INTO children (id, parent_id, name, age, parent_email, status, assessment_completed)
                 VALUES ($1, $2, $3, $4, 'priya@example.com', 'enrolled', TRUE) ON CONFLICT (id) DO NOTHING",
                &[&child, &parent, &name, &age],
            )
            .await?;
    }
    let plans = [
        (e1, child1, "Aarav", PAYMENTS[0], 10 * 24, 3),
        (e2, child2, "Diya", PAYMENTS[1], 2, 0),
    ];
    for (enrollment, child, child_name, (payment_id, amount), paid_hours_ago, completed) in plans {
        // One coach: Diya's sessions are two hours after Aarav's, so none overlap.
        let hour_offset: i32 = if enrollment == e2 { 2 } else { 0 };
        let inserted = client
            .execute(
                "INSERT INTO enrollments (id, child_id, parent_id, coach_id, status, sessions_total, parent_email, child_name)
                 VALUES ($1, $2, $3, $4, 'active', 8, 'priya@example.com', $5) ON CONFLICT (id) DO NOTHING",
                &[&enrollment, &child, &parent, &coach, &child_name],
            )
            .await?;
        if inserted == 0 {
            continue;
        }
        insert_payment(
            &client,
            (enrollment, parent),
            (payment_id, amount),
            f64::from(paid_hours_ago),
        )
        .await?;
        for n in 0..8i32 {
            let status = if n < completed {
                "completed"
            } else {
                "scheduled"
            };
            let days = n * 7 - completed * 7;
            client
                .execute(
                    "INSERT INTO scheduled_sessions (enrollment_id, child_id, coach_id, session_type, scheduled_time, status)
                     VALUES ($1, $2, $3, 'coaching', date_trunc('hour', NOW()) + make_interval(days => $4, hours => $6) + INTERVAL '1 day', $5)",
                    &[&enrollment, &child, &coach, &days, &status, &hour_offset],
                )
                .await?;
        }
    }
    // An enrollment whose refund Razorpay accepted and then failed: terminated, refund failed.
    let e3 = id(ENROLLMENT_REFUND_FAILED)?;
    let inserted = client
        .execute(
            "INSERT INTO enrollments (id, child_id, parent_id, coach_id, status, sessions_total, parent_email, child_name)
             VALUES ($1, $2, $3, $4, 'terminated', 8, 'priya@example.com', 'Aarav') ON CONFLICT (id) DO NOTHING",
            &[&e3, &child1, &parent, &coach],
        )
        .await?;
    if inserted > 0 {
        let (payment_id, amount) = PAYMENTS[2];
        insert_payment(&client, (e3, parent), PAYMENTS[2], 20.0 * 24.0).await?;
        client
            .execute(
                "INSERT INTO enrollment_terminations (id, enrollment_id, terminated_by, termination_reason,
                   sessions_total, sessions_completed, sessions_remaining, original_amount, refund_amount,
                   coach_settlement_amount, platform_retention, razorpay_payment_id, razorpay_refund_id,
                   refund_status, refund_initiated_at, refund_failure_reason, created_by, updated_at)
                 VALUES ($1, $2, 'admin', 'Family moved abroad; refund requested', 8, 2, 6, $3, 13500,
                   5250, 5250, $4, 'rfnd_DemoFailed0001', 'failed', NOW() - INTERVAL '2 days',
                   'The bank rejected the refund to this account', 'admin:demo', NOW() - INTERVAL '1 day')",
                &[&id(TERMINATION_FAILED)?, &e3, &amount, &payment_id],
            )
            .await?;
    }
    // Discovery calls booked before this backend linked them: one of Priya's (the backfill rule
    // links it to Diya by email and name), one from a family we do not know yet.
    client
        .execute(
            "INSERT INTO discovery_calls (parent_email, parent_name, child_name, scheduled_at, status, cal_booking_uid)
             VALUES (' Priya@Example.com', 'Priya Sharma', 'diya', NOW() - INTERVAL '30 days', 'completed', 'demo-old-booking-1'),
                    ('new.family@example.com', 'Rohan Mehta', 'Ira', NOW() + INTERVAL '2 days', 'scheduled', 'demo-old-booking-2')
             ON CONFLICT (cal_booking_uid) DO NOTHING",
            &[],
        )
        .await?;
    client
        .execute("SELECT yt_link_unlinked_discovery_calls()", &[])
        .await?;
    seed_matching_and_leads(&client, parent, coach).await?;
    seed_scheduling(&client, parent, coach).await?;
    seed_payouts(&client, coach).await?;
    seed_elearning(&client).await?;
    client.commit().await?;
    Ok(())
}

/// The demo lead for coach matching and lead scoring: Kabir, 5, dyslexia, foundation phonics.
pub const LEAD_CHILD: &str = "00000000-0000-4000-8000-0000000000d3";
/// A demo coach with no specializations yet (the PUT sample gives her some).
pub const NEW_COACH: &str = "00000000-0000-4000-8000-0000000000c3";

/// Coaches with specializations (one at her cap, one inactive, one new) and two leads with a
/// history of messages, so `GET /admin/coaches/match` and `lead-scoring-cron` have something to
/// rank and score.
async fn seed_matching_and_leads(
    client: &impl tokio_postgres::GenericClient,
    parent: Uuid,
    anita: Uuid,
) -> anyhow::Result<()> {
    let farah = id("00000000-0000-4000-8000-0000000000c2")?;
    let new_coach = id(NEW_COACH)?;
    let inactive = id("00000000-0000-4000-8000-0000000000c4")?;
    let full = id("00000000-0000-4000-8000-0000000000c5")?;
    let coaches = [
        (farah, "Farah Khan", true, Some(10)),
        (new_coach, "Meera Nair", true, None),
        (inactive, "Rahul Verma", false, None),
        (full, "Sunita Rao", true, Some(0)),
    ];
    for (coach, name, active, cap) in coaches {
        client
            .execute(
                "INSERT INTO coaches (id, name, email, is_active, max_active_enrollments)
                 VALUES ($1, $2, lower(split_part($2, ' ', 1)) || '@example.com', $3, $4)
                 ON CONFLICT (id) DO NOTHING",
                &[&coach, &name, &active, &cap],
            )
            .await?;
    }
    let specializations = [
        (anita, "age_group", "4-7", 8),
        (anita, "phonics_level", "foundation", 9),
        (farah, "age_group", "6-10", 9),
        (farah, "phonics_level", "building", 8),
        (farah, "learning_need", "dyslexia", 6),
        (farah, "learning_need", "speech_delay", 9),
        (inactive, "learning_need", "dyslexia", 10),
        (full, "learning_need", "dyslexia", 10),
    ];
    for (coach, kind, value, proficiency) in specializations {
        client
            .execute(
                "INSERT INTO coach_specializations (coach_id, specialization_type, specialization_value, proficiency_level)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (coach_id, specialization_type, specialization_value) DO NOTHING",
                &[&coach, &kind, &value, &proficiency],
            )
            .await?;
    }
    let kabir = id(LEAD_CHILD)?;
    let ishaan = id("00000000-0000-4000-8000-0000000000d4")?;
    let inserted = client
        .execute(
            "INSERT INTO children (id, parent_id, name, age, parent_email, phonics_focus, learning_needs, status, assessment_completed)
             VALUES ($1, $3, 'Kabir', 5, 'priya@example.com', 'foundation', '{dyslexia}', 'lead', TRUE),
                    ($2, $3, 'Ishaan', NULL, 'priya@example.com', 'building', '{}', 'lead', FALSE)
             ON CONFLICT (id) DO NOTHING",
            &[&kabir, &ishaan, &parent],
        )
        .await?;
    if inserted == 0 {
        return Ok(());
    }
    // Kabir has a discovery call booked and answers within the hour: a hot lead (85).
    client
        .execute(
            "INSERT INTO discovery_calls (parent_email, parent_name, child_name, scheduled_at, status, cal_booking_uid, child_id, link_method)
             VALUES ('priya@example.com', 'Priya Sharma', 'Kabir', NOW() + INTERVAL '3 days', 'scheduled', 'demo-kabir-booking', $1, 'manual')
             ON CONFLICT (cal_booking_uid) DO NOTHING",
            &[&kabir],
        )
        .await?;
    client
        .execute(
            "INSERT INTO communication_logs (parent_id, child_id, channel, template, direction, status, created_at)
             VALUES ($1, $2, 'whatsapp', 'assessment_follow_up', 'outbound', 'sent', NOW() - INTERVAL '26 hours'),
                    ($1, $2, 'whatsapp', NULL, 'inbound', 'received', NOW() - INTERVAL '25 hours 30 minutes'),
                    ($1, $2, 'whatsapp', 'discovery_reminder', 'outbound', 'sent', NOW() - INTERVAL '5 hours'),
                    ($1, $2, 'whatsapp', NULL, 'inbound', 'received', NOW() - INTERVAL '4 hours 30 minutes'),
                    ($1, $2, 'whatsapp', NULL, 'inbound', 'received', NOW() - INTERVAL '1 hour')",
            &[&parent, &kabir],
        )
        .await?;
    Ok(())
}

/// A throwaway RSA key for local runs and tests of calendar-sync (no Google account knows it):
/// the service account key JSON local-api uses when `GOOGLE_SERVICE_ACCOUNT_KEY` is not set.
pub const DEV_GOOGLE_KEY_PEM: &str = include_str!("dev-google-key.pem");

pub fn dev_google_key_json(token_uri: &str) -> String {
    serde_json::json!({
        "type": "service_account",
        "client_email": "calendar-sync@yestoryd-local.iam.gserviceaccount.com",
        "private_key": DEV_GOOGLE_KEY_PEM,
        "token_uri": token_uri,
    })
    .to_string()
}

/// Vihaan's session the README's "Try it" moves: 10 days from today at 17:00 IST, coach Anita.
pub const RESCHEDULABLE_SESSION: &str = "00000000-0000-4000-8000-0000000005e1";
/// Vihaan's next session (11 days out, 17:00 IST), moved by the README's rescheduling section.
pub const RESCHEDULABLE_SESSION_2: &str = "00000000-0000-4000-8000-0000000005e2";

/// Anita's weekly hours (Monday to Saturday, 16:00–19:00 in her zone, Asia/Kolkata), a day off
/// two weeks out, and Vihaan's paid enrollment with a session far enough ahead to move.
async fn seed_scheduling(
    client: &impl tokio_postgres::GenericClient,
    parent: Uuid,
    coach: Uuid,
) -> anyhow::Result<()> {
    let child = id(RESCHEDULE_CHILD)?;
    let enrollment = id(ENROLLMENT_RESCHEDULE)?;
    let exists = client
        .query_opt(
            "SELECT 1 FROM coach_availability WHERE coach_id = $1 LIMIT 1",
            &[&coach],
        )
        .await?
        .is_some();
    if exists {
        return Ok(());
    }
    client
        .execute(
            "INSERT INTO children (id, parent_id, name, age, parent_email, status, assessment_completed)
             VALUES ($1, $2, 'Vihaan', 7, 'priya@example.com', 'enrolled', TRUE) ON CONFLICT (id) DO NOTHING",
            &[&child, &parent],
        )
        .await?;
    client
        .execute(
            "INSERT INTO enrollments (id, child_id, parent_id, coach_id, status, sessions_total, parent_email, child_name)
             VALUES ($1, $2, $3, $4, 'active', 8, 'priya@example.com', 'Vihaan') ON CONFLICT (id) DO NOTHING",
            &[&enrollment, &child, &parent, &coach],
        )
        .await?;
    insert_payment(client, (enrollment, parent), PAYMENTS[3], 3.0 * 24.0).await?;
    for weekday in 1i16..=6 {
        client
            .execute(
                "INSERT INTO coach_availability (coach_id, weekday, start_time, end_time) VALUES ($1, $2, '16:00', '19:00')",
                &[&coach, &weekday],
            )
            .await?;
    }
    client
        .execute(
            "INSERT INTO coach_time_off (coach_id, starts_at, ends_at, reason)
             VALUES ($1, (date_trunc('day', NOW() AT TIME ZONE 'Asia/Kolkata') + INTERVAL '14 days') AT TIME ZONE 'Asia/Kolkata',
                         (date_trunc('day', NOW() AT TIME ZONE 'Asia/Kolkata') + INTERVAL '15 days') AT TIME ZONE 'Asia/Kolkata',
                     'Family wedding')",
            &[&coach],
        )
        .await?;
    for (session, days) in [(RESCHEDULABLE_SESSION, 10), (RESCHEDULABLE_SESSION_2, 11)] {
        client
            .execute(
                "INSERT INTO scheduled_sessions (id, enrollment_id, child_id, coach_id, session_type, scheduled_time, status)
                 VALUES ($1, $2, $3, $4, 'coaching',
                         (date_trunc('day', NOW() AT TIME ZONE 'Asia/Kolkata') + make_interval(days => $5, hours => 17)) AT TIME ZONE 'Asia/Kolkata',
                         'scheduled')
                 ON CONFLICT (id) DO NOTHING",
                &[&id(session)?, &enrollment, &child, &coach, &days],
            )
            .await?;
    }
    Ok(())
}

/// A pending payout of Anita's the README reconciles (₹12,000 for last month), a second one, and
/// one already reconciled (its receipt can be fetched at once).
pub const PENDING_PAYOUT: &str = "00000000-0000-4000-8000-000000000b01";
pub const RECONCILED_PAYOUT: &str = "00000000-0000-4000-8000-000000000b03";

async fn seed_payouts(
    client: &impl tokio_postgres::GenericClient,
    anita: Uuid,
) -> anyhow::Result<()> {
    let farah = id("00000000-0000-4000-8000-0000000000c2")?;
    let rows = [
        (PENDING_PAYOUT, anita, 1_200_000i64, 1),
        ("00000000-0000-4000-8000-000000000b02", farah, 950_050, 1),
        (RECONCILED_PAYOUT, anita, 1_150_000, 2),
    ];
    for (payout, coach, amount, months_ago) in rows {
        client
            .execute(
                "INSERT INTO coach_payouts (id, coach_id, amount, period_start, period_end, status, created_at)
                 VALUES ($1, $2, $3,
                         (date_trunc('month', NOW() AT TIME ZONE 'Asia/Kolkata') - make_interval(months => $4))::date,
                         (date_trunc('month', NOW() AT TIME ZONE 'Asia/Kolkata') - make_interval(months => $4 - 1) - INTERVAL '1 day')::date,
                         'approved', LEAST(NOW() - make_interval(days => 30 * $4), TIMESTAMPTZ '2026-10-01 00:00:00+05:30'))
                 ON CONFLICT (id) DO NOTHING",
                &[&id(payout)?, &coach, &amount, &months_ago],
            )
            .await?;
    }
    client
        .execute(
            "UPDATE coach_payouts SET bank_transfer_status = 'completed', bank_utr_number = 'HDFCN52026100501',
                 bank_transfer_date = period_end + 3, reconciled_at = created_at + INTERVAL '4 days',
                 reconciled_by = 'admin@yestoryd.local',
                 receipt_number = 'YT-PO-' || to_char(created_at AT TIME ZONE 'Asia/Kolkata', 'YYYY') || '-'
                                  || lpad(nextval('payout_receipt_seq')::text, 6, '0')
             WHERE id = $1 AND bank_transfer_status = 'pending'",
            &[&id(RECONCILED_PAYOUT)?],
        )
        .await?;
    Ok(())
}

/// A few modules (published and draft) so the coverage report and the apps' list show something;
/// `docs/elearning-modules-sample.csv` adds more.
async fn seed_elearning(client: &impl tokio_postgres::GenericClient) -> anyhow::Result<()> {
    client
        .execute(
            "INSERT INTO elearning_modules (stage, topic, position, title, youtube_video_id, duration_seconds, status)
             VALUES ('foundation', 'letter_sounds', 10, 'The letter m says /m/', 'demoVideo01', 170, 'published'),
                    ('foundation', 'blending', 10, 'Blending m-a-t', 'demoVideo02', 200, 'published'),
                    ('foundation', 'cvc_words', 10, 'Reading mat, map, man', 'demoVideo03', 240, 'draft'),
                    ('building', 'fluency', 10, 'Reading with expression', 'demoVideo04', 420, 'published')
             ON CONFLICT (youtube_video_id) DO NOTHING",
            &[],
        )
        .await?;
    Ok(())
}
