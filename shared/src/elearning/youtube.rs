//! A YouTube video id from what the content team pastes: a bare id or any URL form of one video
//! (`watch?v=` — also with `&list=…`, where the video wins —, `youtu.be/`, `embed/`, `shorts/`,
//! `live/`, `m.`/`www.`/no host prefix, `http:` or `https:`, extra parameters). Playlists,
//! channels and handles are not a video.

fn is_id(s: &str) -> bool {
    s.len() == 11
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The 11-character id, or why the input is not one video.
pub fn video_id(input: &str) -> Result<String, &'static str> {
    let s = input.trim();
    if is_id(s) {
        return Ok(s.to_string());
    }
    let with_scheme = if s.starts_with("http://") || s.starts_with("https://") {
        s.to_string()
    } else {
        format!("https://{s}")
    };
    let Ok(url) = reqwest::Url::parse(&with_scheme) else {
        return Err("must be a YouTube video id or a link to one video");
    };
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let host = host
        .strip_prefix("www.")
        .or_else(|| host.strip_prefix("m."))
        .or_else(|| host.strip_prefix("music."))
        .unwrap_or(&host)
        .to_string();
    let segments: Vec<&str> = url
        .path_segments()
        .map(|p| p.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let candidate = match host.as_str() {
        "youtu.be" => segments.first().map(|s| s.to_string()),
        "youtube.com" | "youtube-nocookie.com" => match segments.as_slice() {
            ["watch"] => url
                .query_pairs()
                .find(|(k, _)| k == "v")
                .map(|(_, v)| v.into_owned()),
            ["embed" | "shorts" | "live" | "v", id, ..] => Some(id.to_string()),
            _ => None,
        },
        _ => return Err("must be a YouTube link (youtube.com or youtu.be) or a video id"),
    };
    match candidate {
        Some(id) if is_id(&id) => Ok(id),
        _ => Err("must be a link to one video, not a playlist, channel or handle"),
    }
}

#[cfg(test)]
mod tests {
    use super::video_id;

    #[test]
    fn every_url_form_gives_the_id() {
        let id = "dQw4w9WgXcQ";
        for form in [
            "dQw4w9WgXcQ",
            " dQw4w9WgXcQ ",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "http://youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL9tY0BWXOZFuFEG_GtOBZ8-8wbkH-NVAr&index=3",
            "https://www.youtube.com/watch?list=PL9tY0BWXOZFuFEG_GtOBZ8-8wbkH-NVAr&v=dQw4w9WgXcQ",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
            "youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ?si=abc123&t=10",
            "https://www.youtube.com/embed/dQw4w9WgXcQ?rel=0",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
            "https://youtube.com/shorts/dQw4w9WgXcQ?feature=share",
            "https://www.youtube.com/live/dQw4w9WgXcQ",
        ] {
            assert_eq!(video_id(form).as_deref(), Ok(id), "{form}");
        }
    }

    #[test]
    fn playlists_channels_handles_and_others_are_refused() {
        for bad in [
            "https://www.youtube.com/playlist?list=PL9tY0BWXOZFuFEG_GtOBZ8-8wbkH-NVAr",
            "https://www.youtube.com/channel/UC38IQsAvIsxxjztdMZQtwHA",
            "https://www.youtube.com/@yestoryd",
            "https://www.youtube.com/c/yestoryd",
            "https://www.youtube.com/user/yestoryd",
            "https://vimeo.com/123456789",
            "https://www.youtube.com/watch?v=short",
            "dQw4w9WgXc",
            "",
        ] {
            assert!(video_id(bad).is_err(), "{bad}");
        }
    }
}
