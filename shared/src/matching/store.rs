//! SQL for coach matching: one function per statement.
use super::skill_match::{Child, Coach, Held};
use super::specialization::Specialization;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

type R<T> = Result<T, tokio_postgres::Error>;

/// The child's profile for matching; `None` when there is no such child.
pub async fn child_profile(db: &impl GenericClient, child_id: Uuid) -> R<Option<Child>> {
    db.query_typed(
        "SELECT age, phonics_focus, learning_needs FROM children WHERE id = $1",
        &[(&child_id, Type::UUID)],
    )
    .await?
    .first()
    .map(|r| {
        Ok(Child {
            age: r.try_get(0)?,
            phonics_focus: r.try_get(1)?,
            learning_needs: r
                .try_get::<_, Option<Vec<Option<String>>>>(2)?
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .collect(),
        })
    })
    .transpose()
}

/// Every active coach with their specializations and active enrollments, in one query.
pub async fn active_coaches(db: &impl GenericClient) -> R<Vec<Coach>> {
    db.query_typed(
        "SELECT c.id, c.name, c.max_active_enrollments,
                (SELECT count(*) FROM enrollments e WHERE e.coach_id = c.id AND e.status = 'active'),
                COALESCE(s.kinds, '{}'), COALESCE(s.vals, '{}'), COALESCE(s.profs, '{}')
         FROM coaches c
         LEFT JOIN LATERAL (
           SELECT array_agg(specialization_type ORDER BY id) AS kinds,
                  array_agg(specialization_value ORDER BY id) AS vals,
                  array_agg(COALESCE(proficiency_level, 5) ORDER BY id) AS profs
           FROM coach_specializations WHERE coach_id = c.id
         ) s ON TRUE
         WHERE c.is_active",
        &[],
    )
    .await?
    .iter()
    .map(|r| {
        let kinds: Vec<String> = r.try_get(4)?;
        let vals: Vec<String> = r.try_get(5)?;
        let profs: Vec<i32> = r.try_get(6)?;
        Ok(Coach {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            max_active_enrollments: r.try_get(2)?,
            active_enrollments: r.try_get(3)?,
            specializations: kinds
                .into_iter()
                .zip(vals)
                .zip(profs)
                .map(|((kind, value), proficiency)| Held {
                    kind,
                    value,
                    proficiency,
                })
                .collect(),
        })
    })
    .collect()
}

/// Whether the coach exists, taking its row lock (a PUT replaces the set under it).
pub async fn lock_coach(db: &impl GenericClient, coach_id: Uuid) -> R<bool> {
    Ok(!db
        .query_typed(
            "SELECT 1 FROM coaches WHERE id = $1 FOR UPDATE",
            &[(&coach_id, Type::UUID)],
        )
        .await?
        .is_empty())
}

pub async fn coach_exists(db: &impl GenericClient, coach_id: Uuid) -> R<bool> {
    Ok(!db
        .query_typed(
            "SELECT 1 FROM coaches WHERE id = $1",
            &[(&coach_id, Type::UUID)],
        )
        .await?
        .is_empty())
}

/// The coach's specializations, by type then value.
pub async fn specializations(db: &impl GenericClient, coach_id: Uuid) -> R<Vec<Held>> {
    db.query_typed(
        "SELECT specialization_type, specialization_value, COALESCE(proficiency_level, 5)
         FROM coach_specializations WHERE coach_id = $1
         ORDER BY specialization_type, specialization_value",
        &[(&coach_id, Type::UUID)],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Held {
            kind: r.try_get(0)?,
            value: r.try_get(1)?,
            proficiency: r.try_get(2)?,
        })
    })
    .collect()
}

pub async fn delete_specializations(db: &impl GenericClient, coach_id: Uuid) -> R<u64> {
    db.execute_typed(
        "DELETE FROM coach_specializations WHERE coach_id = $1",
        &[(&coach_id, Type::UUID)],
    )
    .await
}

pub async fn insert_specializations(
    db: &impl GenericClient,
    coach_id: Uuid,
    set: &[Specialization],
) -> R<u64> {
    let kinds: Vec<&str> = set.iter().map(|s| s.kind).collect();
    let values: Vec<&str> = set.iter().map(|s| s.value.as_str()).collect();
    let profs: Vec<i32> = set.iter().map(|s| s.proficiency).collect();
    db.execute_typed(
        "INSERT INTO coach_specializations (coach_id, specialization_type, specialization_value, proficiency_level)
         SELECT $1, k, v, p FROM unnest($2::text[], $3::text[], $4::int4[]) AS t(k, v, p)",
        &[
            (&coach_id, Type::UUID),
            (&kinds, Type::TEXT_ARRAY),
            (&values, Type::TEXT_ARRAY),
            (&profs, Type::INT4_ARRAY),
        ],
    )
    .await
}
