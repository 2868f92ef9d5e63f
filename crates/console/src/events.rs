//! `GET /api/runs/{id}/events`: the run's events as Server-Sent Events.
//! The stream subscribes to the run's live broadcast first, then replays
//! every recorded event from the store, then forwards live events whose
//! number is past the last one sent. An event is recorded before it is
//! broadcast, so whatever happens between the replay and the first live
//! event is either in the replay or still to come live: nothing is lost or
//! sent twice. A stream that falls behind fills the gap from the store.
//! `end` is the last event; then the stream closes.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio::sync::{broadcast, mpsc};

use crate::store::StoredEvent;
use crate::{ApiError, AppState};

fn sse_event(event: &StoredEvent) -> Event {
    Event::default()
        .id(event.seq.to_string())
        .event(event.kind.clone())
        .data(event.data.to_string())
}

/// Sends `events` past `last` and advances it; true once `end` was sent
/// (or the client went away).
async fn send_all(tx: &mpsc::Sender<Event>, events: Vec<StoredEvent>, last: &mut i64) -> bool {
    for event in events {
        if event.seq <= *last {
            continue;
        }
        *last = event.seq;
        if tx.send(sse_event(&event)).await.is_err() {
            return true;
        }
        if event.kind == "end" {
            return true;
        }
    }
    false
}

async fn feed(
    state: AppState,
    id: String,
    mut live: Option<broadcast::Receiver<StoredEvent>>,
    tx: mpsc::Sender<Event>,
) {
    let mut last = 0i64;
    let replay = match state.store().events_after(id.clone(), 0).await {
        Ok(events) => events,
        Err(error) => {
            tracing::error!(action = "console_events", status = "failed", run = %id, error = %error);
            return;
        }
    };
    if send_all(&tx, replay, &mut last).await {
        return;
    }
    let Some(receiver) = live.as_mut() else {
        // Not active when the stream opened, and no `end` in the store yet:
        // it ended in between; what it recorded last is there now.
        if let Ok(events) = state.store().events_after(id.clone(), last).await {
            send_all(&tx, events, &mut last).await;
        }
        return;
    };
    loop {
        match receiver.recv().await {
            Ok(event) if event.seq <= last => {}
            Ok(event) if event.seq == last + 1 => {
                if send_all(&tx, vec![event], &mut last).await {
                    return;
                }
            }
            // A gap (an event whose recording failed, or one missed):
            // whatever the store has, then this one.
            Ok(event) => {
                let mut missing = state
                    .store()
                    .events_after(id.clone(), last)
                    .await
                    .unwrap_or_default();
                missing.retain(|stored| stored.seq < event.seq);
                missing.push(event);
                if send_all(&tx, missing, &mut last).await {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                let missing = state
                    .store()
                    .events_after(id.clone(), last)
                    .await
                    .unwrap_or_default();
                if send_all(&tx, missing, &mut last).await {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Closed) => {
                let rest = state
                    .store()
                    .events_after(id.clone(), last)
                    .await
                    .unwrap_or_default();
                send_all(&tx, rest, &mut last).await;
                return;
            }
        }
    }
}

/// `GET /api/runs/{id}/events`.
pub async fn stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    if state.store().run(id.clone()).await?.is_none() {
        return Err(ApiError::run_not_found(&id));
    }
    // Subscribed before the replay is read: see the module's doc.
    let live = state
        .0
        .active
        .lock()
        .ok()
        .and_then(|active| active.get(&id).map(|run| run.events.subscribe()));
    let (tx, rx) = mpsc::channel::<Event>(256);
    tokio::spawn(feed(state, id, live, tx));
    let events = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|event| (Ok(event), rx))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
