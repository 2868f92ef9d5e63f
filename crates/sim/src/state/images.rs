//! Upload volumes (`svt_image`): `create_volume` (or resuming an unfinished
//! one of the same name and size), which chunks have arrived, deletion.
//! The image files themselves are written by the HTTP layer; this module
//! only says which file to create or remove. Bounded by
//! [`Limits::images`](super::Limits): past it a deleted image is forgotten
//! first, else the oldest image is evicted and its file removed; later
//! uses of it answer 404 saying so.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{ApiError, Evicted, SimState, v4_uuid};

/// 8 TiB in 8 MiB chunks.
const MAX_CHUNKS: u64 = 1 << 20;

/// Which chunks of an image have arrived, one bit each (an 8 TiB image is
/// 128 KiB of bits, not 1 MiB of `bool`s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChunkSet {
    words: Vec<u64>,
    len: u64,
}

impl ChunkSet {
    fn new(len: u64) -> Self {
        let words = usize::try_from(len.div_ceil(64)).unwrap_or(0);
        Self {
            words: vec![0; words],
            len,
        }
    }

    fn slot(&self, chunk: u64) -> Option<(usize, u64)> {
        (chunk < self.len)
            .then(|| usize::try_from(chunk / 64).ok())
            .flatten()
            .map(|word| (word, 1 << (chunk % 64)))
    }

    pub fn contains(&self, chunk: u64) -> bool {
        self.slot(chunk)
            .and_then(|(word, bit)| self.words.get(word).map(|value| value & bit != 0))
            .unwrap_or(false)
    }

    pub fn insert(&mut self, chunk: u64) {
        if let Some((word, bit)) = self.slot(chunk)
            && let Some(value) = self.words.get_mut(word)
        {
            *value |= bit;
        }
    }

    pub fn count(&self) -> u64 {
        self.words
            .iter()
            .map(|word| u64::from(word.count_ones()))
            .sum()
    }
}

pub(crate) struct Image {
    pub uuid: String,
    pub zbs_volume_id: String,
    pub name: String,
    pub size: u64,
    pub chunk_size: u64,
    pub received: ChunkSet,
    pub path: PathBuf,
    pub sha256: Option<String>,
    pub deleted: bool,
}

impl Image {
    pub fn chunk_count(&self) -> u64 {
        self.size.div_ceil(self.chunk_size)
    }

    pub fn expected_len(&self, chunk: u64) -> u64 {
        let start = chunk * self.chunk_size;
        self.chunk_size.min(self.size.saturating_sub(start))
    }

    pub fn missing(&self) -> Vec<u64> {
        (0..self.chunk_count())
            .filter(|chunk| !self.received.contains(*chunk))
            .collect()
    }

    pub fn complete(&self) -> bool {
        self.received.count() == self.chunk_count()
    }
}

#[derive(Default)]
pub(super) struct Images {
    /// Oldest first.
    pub list: Vec<Image>,
    pub evicted: Evicted,
}

/// What `create_volume` answers, and the file work it leaves to the caller.
#[derive(Debug)]
pub(crate) struct NewVolume {
    pub answer: Value,
    /// A new image: create this (sparse) file of this size.
    pub create: Option<(PathBuf, u64)>,
    /// An image was evicted to make room: remove its file.
    pub remove: Option<PathBuf>,
}

fn volume_json(image: &Image) -> Value {
    json!({
        "chunk_size": image.chunk_size,
        "image_path": format!("/usr/share/smartx/images/vmtools/{}", image.uuid),
        "image_uuid": image.uuid,
        "to_upload": image.missing(),
        "zbs_volume_id": image.zbs_volume_id
    })
}

impl SimState {
    /// Creates an upload volume, or returns the unfinished one of the same
    /// name and size (resume).
    pub fn create_volume(
        &mut self,
        name: &str,
        size: u64,
        upload_dir: &Path,
    ) -> Result<NewVolume, ApiError> {
        if name.is_empty() {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                "name is required",
            ));
        }
        if size == 0 {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                "size must be > 0",
            ));
        }
        if let Some(image) = self.images.list.iter().find(|image| {
            !image.deleted && image.name == name && image.size == size && !image.complete()
        }) {
            return Ok(NewVolume {
                answer: volume_json(image),
                create: None,
                remove: None,
            });
        }
        let uuid = v4_uuid(&mut self.rng);
        let zbs_volume_id = v4_uuid(&mut self.rng);
        let chunk_size = self.chunk_size;
        // Bounded so a wild `size` cannot make the chunk table huge.
        let chunks = size.div_ceil(chunk_size);
        if chunks > MAX_CHUNKS {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                format!("size {size} needs more than {MAX_CHUNKS} chunks"),
            ));
        }
        let remove = self.make_room_for_an_image();
        let image = Image {
            path: upload_dir.join(&uuid),
            uuid,
            zbs_volume_id,
            name: name.to_owned(),
            size,
            chunk_size,
            received: ChunkSet::new(chunks),
            sha256: None,
            deleted: false,
        };
        let answer = volume_json(&image);
        let create = Some((image.path.clone(), size));
        self.images.list.push(image);
        Ok(NewVolume {
            answer,
            create,
            remove,
        })
    }

    /// Evicts images until one more fits; returns the file of a live one
    /// that went (a deleted one has no file left).
    fn make_room_for_an_image(&mut self) -> Option<PathBuf> {
        let mut remove = None;
        let images = &mut self.images;
        while !images.list.is_empty() && images.list.len() >= self.limits.images.max(1) {
            let victim = images
                .list
                .iter()
                .position(|image| image.deleted)
                .unwrap_or(0);
            let image = images.list.remove(victim);
            if !image.deleted {
                remove = Some(image.path);
            }
            images
                .evicted
                .record(image.uuid, self.limits.remembered_evictions);
        }
        remove
    }

    /// A live (not deleted) image.
    pub fn image_mut(&mut self, uuid: &str) -> Result<&mut Image, ApiError> {
        let limit = self.limits.images;
        let evicted = self.images.evicted.contains(uuid);
        self.images
            .list
            .iter_mut()
            .find(|image| image.uuid == uuid && !image.deleted)
            .ok_or_else(|| {
                let msg = if evicted {
                    format!(
                        "image {uuid} was evicted: the simulator keeps the newest {limit} images"
                    )
                } else {
                    format!("no image {uuid}")
                };
                ApiError::not_found("IMAGE_NOT_FOUND", msg)
            })
    }

    /// Marks an image deleted; returns its file for the caller to remove.
    pub fn delete_image(&mut self, uuid: &str) -> Result<PathBuf, ApiError> {
        let image = self.image_mut(uuid)?;
        image.deleted = true;
        Ok(image.path.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Limits;
    use super::super::tests::state;
    use super::*;

    #[test]
    fn the_chunk_set_tracks_each_chunk_once() {
        let mut set = ChunkSet::new(130);
        for chunk in [0, 63, 64, 129, 129, 130, 9999] {
            set.insert(chunk);
        }
        assert_eq!(set.count(), 4);
        assert!(set.contains(63) && set.contains(64) && set.contains(129));
        assert!(!set.contains(1) && !set.contains(130));
    }

    #[test]
    fn deleted_images_go_first_then_the_oldest_with_its_file() -> Result<(), ApiError> {
        let dir = Path::new("/uploads");
        let mut state = state().with_limits(Limits {
            images: 2,
            ..Limits::DEFAULT
        });
        let uuid = |volume: &NewVolume| {
            volume.answer["image_uuid"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        let first = uuid(&state.create_volume("a.iso", 10, dir)?);
        let second = uuid(&state.create_volume("b.iso", 10, dir)?);
        state.delete_image(&second)?;
        let third = state.create_volume("c.iso", 10, dir)?;
        assert_eq!(third.remove, None, "the deleted image went, it had no file");
        state.image_mut(&first)?;
        let fourth = state.create_volume("d.iso", 10, dir)?;
        assert_eq!(fourth.remove, Some(dir.join(&first)));
        let gone = state.image_mut(&first).map(|_| ());
        assert!(
            gone.as_ref()
                .is_err_and(|error| error.msg.contains("was evicted")),
            "{gone:?}"
        );
        assert_eq!(state.images.list.len(), 2);
        assert_eq!(state.images.evicted.total(), 2);
        Ok(())
    }

    #[test]
    fn a_volume_too_big_for_the_chunk_table_is_refused() {
        let mut state = state();
        let size = 1024 * (MAX_CHUNKS + 1);
        assert!(
            state
                .create_volume("big.iso", size, Path::new("/u"))
                .is_err()
        );
        assert!(
            state
                .create_volume("ok.iso", 1024 * MAX_CHUNKS, Path::new("/u"))
                .is_ok()
        );
    }
}
