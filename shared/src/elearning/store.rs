//! SQL for e-learning modules: one function per statement.
use super::coverage::{Counts, Target};
use super::module_rule::{Module, Topic};
use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

type R<T> = Result<T, tokio_postgres::Error>;

pub async fn topics(db: &impl GenericClient) -> R<Vec<(Topic, Target)>> {
    db.query_typed(
        "SELECT stage, topic, title, target_min, target_max FROM elearning_topics
         ORDER BY CASE stage WHEN 'foundation' THEN 1 WHEN 'building' THEN 2 ELSE 3 END, topic",
        &[],
    )
    .await?
    .iter()
    .map(|r| {
        let (stage, topic): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        Ok((
            Topic {
                stage: stage.clone(),
                topic: topic.clone(),
                title: r.try_get(2)?,
            },
            Target {
                stage,
                topic,
                target_min: i64::from(r.try_get::<_, i32>(3)?),
                target_max: i64::from(r.try_get::<_, i32>(4)?),
            },
        ))
    })
    .collect()
}

/// The modules as one array per column, for `unnest` (same order as given).
struct Columns<'a> {
    ids: Vec<&'a str>,
    stages: Vec<&'a str>,
    topics: Vec<&'a str>,
    positions: Vec<i32>,
    titles: Vec<&'a str>,
    durations: Vec<i32>,
    quizzes: Vec<Option<Uuid>>,
    statuses: Vec<&'a str>,
}

impl<'a> Columns<'a> {
    fn of(modules: impl Iterator<Item = &'a Module>) -> Self {
        let mut c = Columns {
            ids: vec![],
            stages: vec![],
            topics: vec![],
            positions: vec![],
            titles: vec![],
            durations: vec![],
            quizzes: vec![],
            statuses: vec![],
        };
        for m in modules {
            c.ids.push(&m.youtube_video_id);
            c.stages.push(m.stage);
            c.topics.push(&m.topic);
            c.positions.push(m.position);
            c.titles.push(&m.title);
            c.durations.push(m.duration_seconds);
            c.quizzes.push(m.quiz_id);
            c.statuses.push(m.status);
        }
        c
    }
}

/// Places (stage, topic, position) of the file already held by another, non-retired video:
/// (the file's video id, the holder's video id) for each. A holder that moves in the same file
/// still counts (a swap takes two imports: the unique index checks row by row); one the file
/// retires does not.
pub async fn taken_places(db: &impl GenericClient, modules: &[Module]) -> R<Vec<(String, String)>> {
    let c = Columns::of(modules.iter());
    db.query_typed(
        "SELECT f.video, e.youtube_video_id
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::text[]) AS f(video, stage, topic, position, status)
         JOIN elearning_modules e
           ON e.stage = f.stage AND e.topic = f.topic AND e.position = f.position
          AND e.status <> 'retired' AND e.youtube_video_id <> f.video
         WHERE f.status <> 'retired'
           -- A holder this same file retires frees its place (the upsert retires it first).
           AND NOT EXISTS (SELECT 1 FROM unnest($1::text[], $5::text[]) AS g(video, status)
                           WHERE g.video = e.youtube_video_id AND g.status = 'retired')",
        &[
            (&c.ids, Type::TEXT_ARRAY),
            (&c.stages, Type::TEXT_ARRAY),
            (&c.topics, Type::TEXT_ARRAY),
            (&c.positions, Type::INT4_ARRAY),
            (&c.statuses, Type::TEXT_ARRAY),
        ],
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect()
}

/// Upserts by video id in one statement; rows that would not change are left alone. Returns
/// (created, updated).
pub async fn upsert(db: &impl GenericClient, modules: &[Module]) -> R<(i64, i64)> {
    // Retirements first: they free places the file's other rows may take.
    let mut ordered: Vec<&Module> = modules.iter().collect();
    ordered.sort_by_key(|m| m.status != "retired");
    let c = Columns::of(ordered.into_iter());
    let rows = db
        .query_typed(
            "INSERT INTO elearning_modules AS e (youtube_video_id, stage, topic, position, title, duration_seconds, quiz_id, status)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::text[], $6::int4[], $7::uuid[], $8::text[])
             ON CONFLICT (youtube_video_id) DO UPDATE
               SET stage = EXCLUDED.stage, topic = EXCLUDED.topic, position = EXCLUDED.position,
                   title = EXCLUDED.title, duration_seconds = EXCLUDED.duration_seconds,
                   quiz_id = EXCLUDED.quiz_id, status = EXCLUDED.status, updated_at = NOW()
               WHERE (e.stage, e.topic, e.position, e.title, e.duration_seconds, e.quiz_id, e.status)
                     IS DISTINCT FROM (EXCLUDED.stage, EXCLUDED.topic, EXCLUDED.position, EXCLUDED.title,
                                       EXCLUDED.duration_seconds, EXCLUDED.quiz_id, EXCLUDED.status)
             RETURNING (xmax = 0)",
            &[
                (&c.ids, Type::TEXT_ARRAY),
                (&c.stages, Type::TEXT_ARRAY),
                (&c.topics, Type::TEXT_ARRAY),
                (&c.positions, Type::INT4_ARRAY),
                (&c.titles, Type::TEXT_ARRAY),
                (&c.durations, Type::INT4_ARRAY),
                (&c.quizzes, Type::UUID_ARRAY),
                (&c.statuses, Type::TEXT_ARRAY),
            ],
        )
        .await?;
    let mut created = 0;
    let mut updated = 0;
    for r in &rows {
        if r.try_get::<_, bool>(0)? {
            created += 1;
        } else {
            updated += 1;
        }
    }
    Ok((created, updated))
}

/// Per (stage, topic): published, draft, published seconds (retired rows count nowhere).
pub async fn counts(db: &impl GenericClient) -> R<Vec<Counts>> {
    db.query_typed(
        "SELECT stage, COALESCE(topic, ''), count(*) FILTER (WHERE status = 'published'),
                count(*) FILTER (WHERE status = 'draft'),
                COALESCE(sum(duration_seconds) FILTER (WHERE status = 'published'), 0)::int8
         FROM elearning_modules WHERE status IN ('published', 'draft') AND stage IS NOT NULL
         GROUP BY 1, 2",
        &[],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Counts {
            stage: r.try_get(0)?,
            topic: r.try_get(1)?,
            published: r.try_get(2)?,
            draft: r.try_get(3)?,
            published_seconds: r.try_get(4)?,
        })
    })
    .collect()
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub id: Uuid,
    pub stage: Option<String>,
    pub topic: Option<String>,
    pub position: Option<i32>,
    pub title: Option<String>,
    pub youtube_video_id: Option<String>,
    pub duration_seconds: Option<i32>,
    pub quiz_id: Option<Uuid>,
}

/// Published modules, in the plan's order.
pub async fn published(
    db: &impl GenericClient,
    stage: Option<&str>,
    topic: Option<&str>,
) -> R<Vec<Published>> {
    db.query_typed(
        "SELECT id, stage, topic, position, title, youtube_video_id, duration_seconds, quiz_id
         FROM elearning_modules
         WHERE status = 'published' AND ($1::text IS NULL OR stage = $1) AND ($2::text IS NULL OR topic = $2)
         ORDER BY CASE stage WHEN 'foundation' THEN 1 WHEN 'building' THEN 2 ELSE 3 END, topic, position, id",
        &[(&stage, Type::TEXT), (&topic, Type::TEXT)],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Published {
            id: r.try_get(0)?,
            stage: r.try_get(1)?,
            topic: r.try_get(2)?,
            position: r.try_get(3)?,
            title: r.try_get(4)?,
            youtube_video_id: r.try_get(5)?,
            duration_seconds: r.try_get(6)?,
            quiz_id: r.try_get(7)?,
        })
    })
    .collect()
}
