//! `/sources`: what `feedfold status` prints, as a web page. Every
//! configured source with its groups, last fetch, status, next due time,
//! entries, last error and backoff; failing sources first, since they are
//! what the page is opened for.

use chrono::{DateTime, Utc};

use crate::config::{Config, Source};
use crate::store::{SourceState, SubState, Subscription};
use crate::text::markup::escape_html;

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;padding:1rem;max-width:72rem;color:#222}\
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;vertical-align:top;border-bottom:1px solid #ddd}\
td{white-space:nowrap}td.err{white-space:normal}th{font-size:.8rem;color:#555}td.n{text-align:right}tr.bad td{background:#fff3f0}.err{color:#a40000;font-size:.85rem}\
.g{font-size:.8rem;color:#555}nav{font-size:.85rem;color:#555}a{color:#0645ad;text-decoration:none}\
@media(prefers-color-scheme:dark){body{background:#111;color:#ddd}th,.g,nav{color:#aaa}tr.bad td{background:#2a1512}.err{color:#ff8a80}a{color:#8ab4f8}td,th{border-color:#333}}\
@media(max-width:40rem){td:nth-child(3),th:nth-child(3){display:none}}";

/// When a source is next fetched: its schedule's next slot after its last
/// fetch, held back by backoff, `Retry-After` or freshness; `None` for a
/// source that is gone (410) and not fetched until its URL changes.
pub fn next_due(
    config: &Config,
    source: &Source,
    state: Option<&SourceState>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let at = |t: Option<i64>| t.and_then(|t| DateTime::from_timestamp(t, 0));
    if state.is_some_and(|s| s.gone_at.is_some()) {
        return None;
    }
    let cron = source.schedule(&config.daemon);
    let last = at(state.and_then(|s| s.last_fetch_at));
    let first = crate::schedule::first_run(cron, &source.name, last, now);
    crate::schedule::held_back(
        cron,
        &source.name,
        first,
        at(state.and_then(SourceState::not_before)),
    )
}

/// A source's display name: its config `title`, else its feed's own title
/// as last fetched, else its name.
pub fn display_name(source: Option<&Source>, state: Option<&SourceState>, name: &str) -> String {
    source
        .and_then(|s| s.title.clone())
        .or_else(|| state.and_then(|s| s.feed_title.clone()))
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| name.to_owned())
}

/// Whether a source needs looking at: gone, or its last fetch failed.
fn failing(state: Option<&SourceState>) -> bool {
    state.is_some_and(|s| s.gone_at.is_some() || s.last_error.is_some())
}

/// The page: one row per enabled source, failing ones first, then by name.
/// Times are shown with `show_time`.
pub fn render(
    config: &Config,
    states: &[SourceState],
    subscriptions: &[Subscription],
    now: DateTime<Utc>,
    show_time: &dyn Fn(DateTime<Utc>) -> String,
) -> String {
    let state_of = |name: &str| states.iter().find(|s| s.name == name);
    let push_of = |name: &str| {
        let sub = subscriptions
            .iter()
            .find(|s| s.source.as_deref() == Some(name))?;
        Some(push_note(sub, show_time))
    };
    let mut sources: Vec<&Source> = config.enabled_sources().collect();
    sources.sort_by_key(|s| (!failing(state_of(&s.name)), s.name.clone()));
    let failing_count = sources
        .iter()
        .filter(|s| failing(state_of(&s.name)))
        .count();
    let title = escape_html(&config.output.title);
    let mut out = format!(
        "<!doctype html>\n<html lang=\"und\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Sources — {title}</title><style>{STYLE}</style></head>\n<body>\
         <h1>Sources — {title}</h1>\n<nav><a href=\"./\">Stories</a> · {} sources, {failing_count} failing · \
         as of {}</nav>\n<table>\n<thead><tr><th>Source</th><th>Status</th><th>Last fetch</th>\
         <th>Next due</th><th>Entries</th><th>Last error</th></tr></thead>\n<tbody>\n",
        sources.len(),
        show_time(now)
    );
    for source in sources {
        let state = state_of(&source.name);
        let push = push_of(&source.name);
        out.push_str(&row(config, source, state, push.as_deref(), now, show_time));
    }
    out.push_str("</tbody></table></body></html>\n");
    out
}

fn row(
    config: &Config,
    source: &Source,
    state: Option<&SourceState>,
    push: Option<&str>,
    now: DateTime<Utc>,
    show_time: &dyn Fn(DateTime<Utc>) -> String,
) -> String {
    let when = |t: Option<i64>| {
        t.and_then(|t| DateTime::from_timestamp(t, 0))
            .map_or_else(|| "never".to_owned(), show_time)
    };
    let shown = display_name(Some(source), state, &source.name);
    // The name is what the config, logs and `feedfold status` use.
    let mut notes: Vec<&str> = Vec::new();
    if shown != source.name {
        notes.push(&source.name);
    }
    let groups = source.groups.join(", ");
    if !groups.is_empty() {
        notes.push(&groups);
    }
    notes.extend(push);
    let groups = if notes.is_empty() {
        String::new()
    } else {
        format!("<div class=\"g\">{}</div>", escape_html(&notes.join(" · ")))
    };
    let status = state
        .and_then(|s| s.last_status)
        .map_or_else(|| "-".to_owned(), |s| s.to_string());
    let next = next_due(config, source, state, now).map_or_else(|| "-".to_owned(), show_time);
    format!(
        "<tr{}><td>{}{groups}</td><td>{status}</td><td>{}</td><td>{next}</td><td class=\"n\">{}</td><td class=\"err\">{}</td></tr>\n",
        if failing(state) { " class=\"bad\"" } else { "" },
        escape_html(&shown),
        when(state.and_then(|s| s.last_fetch_at)),
        state.map_or(0, |s| s.entries),
        escape_html(&state.map(|s| problem(s, show_time)).unwrap_or_default()),
    )
}

/// Where a source's WebSub subscription stands, in a few words: whether
/// its hub pushes new items, and if not, why.
fn push_note(sub: &Subscription, show_time: &dyn Fn(DateTime<Utc>) -> String) -> String {
    let when = |t: Option<i64>| {
        t.and_then(|t| DateTime::from_timestamp(t, 0))
            .map(show_time)
    };
    let why = sub.last_error.as_deref().unwrap_or("no reason given");
    match sub.state {
        SubState::Active => match when(sub.lease_until) {
            Some(until) => format!("pushed by its hub until {until}"),
            None => "pushed by its hub".to_owned(),
        },
        SubState::New | SubState::Pending => "asking its hub to push".to_owned(),
        SubState::Failed => format!("hub failed ({why}); polled"),
        SubState::Denied => format!("hub refused ({why}); polled"),
        SubState::Unsubscribing => "leaving its hub".to_owned(),
    }
}

/// What is wrong with a source and what feedfold does about it, in words.
pub fn problem(state: &SourceState, show_time: &dyn Fn(DateTime<Utc>) -> String) -> String {
    let when = |t: i64| DateTime::from_timestamp(t, 0).map_or_else(String::new, show_time);
    let mut parts = Vec::new();
    if let Some(gone) = state.gone_at {
        parts.push(format!(
            "GONE (410) since {}: not fetched; change its url or remove it",
            when(gone)
        ));
    } else if let Some(error) = &state.last_error {
        let mut text = format!("{error} (x{})", state.error_count);
        if let Some(retry) = state.retry_at {
            text.push_str(&format!(", retry after {}", when(retry)));
        }
        parts.push(text);
    }
    if let Some(to) = &state.moved_to {
        parts.push(format!("moved permanently to {to}: update its url"));
    }
    if let Some((holder, until)) = &state.lease {
        parts.push(format!(
            "running on {holder} (lease until {})",
            when(*until)
        ));
    }
    parts.join("; ")
}
