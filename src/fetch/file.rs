//! `file://` sources: the offline demo and local feeds, read under the same cap.

use tokio::io::AsyncReadExt;
use url::Url;

use super::{FetchError, Fetched, Validators};

/// Reads a `file://` URL, refusing files larger than `max_body`.
pub(super) async fn read(url: &Url, max_body: u64) -> Result<Fetched, FetchError> {
    let path = url
        .to_file_path()
        .map_err(|()| FetchError::Other(format!("{url} is not a local file path")))?;
    let shown = path.display().to_string();
    let io_error = |source| FetchError::File {
        path: shown.clone(),
        source,
    };
    let file = tokio::fs::File::open(&path).await.map_err(io_error)?;
    let mut bytes = Vec::new();
    // Read one byte past the cap so "exactly at the cap" and "over it" differ.
    file.take(max_body.saturating_add(1))
        .read_to_end(&mut bytes)
        .await
        .map_err(io_error)?;
    if bytes.len() as u64 > max_body {
        return Err(FetchError::TooLarge { limit: max_body });
    }
    Ok(Fetched {
        status: 200,
        bytes,
        content_type: None,
        validators: Validators::default(),
        final_url: url.clone(),
        moved_to: None,
        fresh_for: None,
        links: Vec::new(),
    })
}
