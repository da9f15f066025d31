//! SQL for sessions, availability and reschedules: one function per statement.
use super::reschedule_rule::State;
use super::slot_rule::{Busy, Window};
use chrono::{DateTime, NaiveTime, Utc};
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

type R<T> = Result<T, tokio_postgres::Error>;

/// A session as a parent's routes see it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub enrollment_id: Option<Uuid>,
    pub child_id: Option<Uuid>,
    pub coach_id: Option<Uuid>,
    pub child_name: Option<String>,
    pub duration_minutes: i32,
    pub coach_zone: Option<String>,
    pub state: State,
}

const SESSION_SELECT: &str =
    "SELECT s.id, s.enrollment_id, s.child_id, s.coach_id, COALESCE(c.name, e.child_name),
        COALESCE(s.duration_minutes, 45), co.timezone, s.status, e.status, s.scheduled_time,
        COALESCE(e.reschedules_used, 0), COALESCE(e.max_reschedules, 0)
 FROM scheduled_sessions s
 LEFT JOIN enrollments e ON e.id = s.enrollment_id
 LEFT JOIN children c ON c.id = s.child_id
 LEFT JOIN coaches co ON co.id = s.coach_id
 WHERE s.id = $1 AND (c.parent_id = $2 OR e.parent_id = $2)";

fn session(r: &Row) -> R<Session> {
    Ok(Session {
        id: r.try_get(0)?,
        enrollment_id: r.try_get(1)?,
        child_id: r.try_get(2)?,
        coach_id: r.try_get(3)?,
        child_name: r.try_get(4)?,
        duration_minutes: r.try_get(5)?,
        coach_zone: r.try_get(6)?,
        state: State {
            status: r.try_get(7)?,
            enrollment_status: r.try_get(8)?,
            scheduled_time: r.try_get(9)?,
            reschedules_used: r.try_get(10)?,
            max_reschedules: r.try_get(11)?,
        },
    })
}

/// The session when it is of one of the parent's children; `None` otherwise (unknown or not theirs).
pub async fn session_for_parent(
    db: &impl GenericClient,
    session_id: Uuid,
    parent_id: Uuid,
) -> R<Option<Session>> {
    db.query_typed(
        SESSION_SELECT,
        &[(&session_id, Type::UUID), (&parent_id, Type::UUID)],
    )
    .await?
    .first()
    .map(session)
    .transpose()
}

/// `session_for_parent`, locking the session and its enrollment for the move.
pub async fn lock_session_for_parent(
    db: &impl GenericClient,
    session_id: Uuid,
    parent_id: Uuid,
) -> R<Option<Session>> {
    db.query_typed(
        &format!("{SESSION_SELECT} FOR UPDATE OF s"),
        &[(&session_id, Type::UUID), (&parent_id, Type::UUID)],
    )
    .await?
    .first()
    .map(session)
    .transpose()
}

/// Serializes every writer of one coach's and one child's sessions (transaction-scoped, so a
/// transaction pooler keeps it).
pub async fn lock_coach_and_child(
    db: &impl GenericClient,
    coach: Uuid,
    child: Option<Uuid>,
) -> R<()> {
    db.query_typed(
        "SELECT pg_advisory_xact_lock(hashtext('coach-sessions:' || $1::text)),
                pg_advisory_xact_lock(hashtext('child-sessions:' || COALESCE($2::text, $1::text)))",
        &[(&coach, Type::UUID), (&child, Type::UUID)],
    )
    .await?;
    Ok(())
}

pub async fn availability(db: &impl GenericClient, coach: Uuid) -> R<Vec<Window>> {
    db.query_typed(
        "SELECT weekday, start_time, end_time FROM coach_availability WHERE coach_id = $1
         ORDER BY weekday, start_time",
        &[(&coach, Type::UUID)],
    )
    .await?
    .iter()
    .map(|r| {
        let weekday: i16 = r.try_get(0)?;
        Ok(Window {
            weekday: u32::try_from(weekday).unwrap_or(0),
            start: r.try_get::<_, NaiveTime>(1)?,
            end: r.try_get::<_, NaiveTime>(2)?,
        })
    })
    .collect()
}

/// Busy time touching `[from, to)`: the coach's and the child's other active sessions, and the
/// coach's time off.
pub async fn busy(
    db: &impl GenericClient,
    coach: Uuid,
    child: Option<Uuid>,
    session: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> R<Vec<Busy>> {
    db.query_typed(
        "SELECT scheduled_time, scheduled_time + make_interval(mins => COALESCE(duration_minutes, 45))
         FROM scheduled_sessions
         WHERE (coach_id = $1 OR child_id = $2) AND id <> $3
           AND status IN ('scheduled', 'pending') AND scheduled_time IS NOT NULL
           AND scheduled_time < $5 AND scheduled_time + make_interval(mins => COALESCE(duration_minutes, 45)) > $4
         UNION ALL
         SELECT starts_at, ends_at FROM coach_time_off
         WHERE coach_id = $1 AND starts_at < $5 AND ends_at > $4",
        &[
            (&coach, Type::UUID),
            (&child, Type::UUID),
            (&session, Type::UUID),
            (&from, Type::TIMESTAMPTZ),
            (&to, Type::TIMESTAMPTZ),
        ],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Busy {
            start: r.try_get(0)?,
            end: r.try_get(1)?,
        })
    })
    .collect()
}

/// Takes one reschedule of the enrollment when one is left: (used, max) after, or `None`.
pub async fn use_reschedule(db: &impl GenericClient, enrollment: Uuid) -> R<Option<(i32, i32)>> {
    db.query_typed(
        "UPDATE enrollments SET reschedules_used = reschedules_used + 1, updated_at = NOW()
         WHERE id = $1 AND reschedules_used < max_reschedules
         RETURNING reschedules_used, max_reschedules",
        &[(&enrollment, Type::UUID)],
    )
    .await?
    .first()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .transpose()
}

/// The moved session: (id, scheduled_time, rescheduled_from, duration_minutes, status).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Moved {
    pub id: Uuid,
    pub scheduled_time: DateTime<Utc>,
    pub rescheduled_from: Option<DateTime<Utc>>,
    pub duration_minutes: i32,
    pub status: String,
}

pub async fn move_session(
    db: &impl GenericClient,
    session: Uuid,
    to: DateTime<Utc>,
    by: &str,
) -> R<Option<Moved>> {
    db.query_typed(
        // SET reads the row as it was: rescheduled_from gets the old time.
        "UPDATE scheduled_sessions
         SET rescheduled_from = scheduled_time, scheduled_time = $2, rescheduled_at = NOW(), rescheduled_by = $3
         WHERE id = $1
         RETURNING id, scheduled_time, rescheduled_from, COALESCE(duration_minutes, 45), status",
        &[(&session, Type::UUID), (&to, Type::TIMESTAMPTZ), (&by, Type::TEXT)],
    )
    .await?
    .first()
    .map(|r| {
        Ok(Moved {
            id: r.try_get(0)?,
            scheduled_time: r.try_get(1)?,
            rescheduled_from: r.try_get(2)?,
            duration_minutes: r.try_get(3)?,
            status: r.try_get(4)?,
        })
    })
    .transpose()
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_history(
    db: &impl GenericClient,
    session: Uuid,
    enrollment: Option<Uuid>,
    from: Option<DateTime<Utc>>,
    to: DateTime<Utc>,
    by: &str,
    reason: Option<&str>,
) -> R<u64> {
    db.execute_typed(
        "INSERT INTO session_reschedules (session_id, enrollment_id, from_time, to_time, rescheduled_by, reason)
         VALUES ($1, $2, COALESCE($3, $4), $4, $5, $6)",
        &[
            (&session, Type::UUID),
            (&enrollment, Type::UUID),
            (&from, Type::TIMESTAMPTZ),
            (&to, Type::TIMESTAMPTZ),
            (&by, Type::TEXT),
            (&reason, Type::TEXT),
        ],
    )
    .await
}

/// What calendar-sync needs of a session now: (google_event_id, scheduled_time, duration, the
/// coach's zone, status).
pub struct CalendarView {
    pub google_event_id: Option<String>,
    pub scheduled_time: Option<DateTime<Utc>>,
    pub duration_minutes: i32,
    pub coach_zone: Option<String>,
    pub status: String,
}

pub async fn calendar_view(db: &impl GenericClient, session: Uuid) -> R<Option<CalendarView>> {
    db.query_typed(
        "SELECT s.google_event_id, s.scheduled_time, COALESCE(s.duration_minutes, 45), co.timezone, s.status
         FROM scheduled_sessions s LEFT JOIN coaches co ON co.id = s.coach_id WHERE s.id = $1",
        &[(&session, Type::UUID)],
    )
    .await?
    .first()
    .map(|r| {
        Ok(CalendarView {
            google_event_id: r.try_get(0)?,
            scheduled_time: r.try_get(1)?,
            duration_minutes: r.try_get(2)?,
            coach_zone: r.try_get(3)?,
            status: r.try_get(4)?,
        })
    })
    .transpose()
}
