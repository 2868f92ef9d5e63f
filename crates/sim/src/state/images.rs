//! Upload volumes (`svt_image`): `create_volume` (or resuming an unfinished
//! one of the same name and size), which chunks have arrived, the image's
//! running SHA-256, deletion. The image files themselves are written (and
//! their chunks hashed) by the HTTP layer; this module only says which file
//! to create or remove, whether a chunk write hashes, and what is left to
//! hash from the file once the image is complete. Bounded by
//! [`Limits::images`](super::Limits): past it a deleted image is forgotten
//! first, else the oldest image is evicted and its file removed; later
//! uses of it answer 404 saying so.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

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

    pub fn remove(&mut self, chunk: u64) {
        if let Some((word, bit)) = self.slot(chunk)
            && let Some(value) = self.words.get_mut(word)
        {
            *value &= !bit;
        }
    }

    pub fn count(&self) -> u64 {
        self.words
            .iter()
            .map(|word| u64::from(word.count_ones()))
            .sum()
    }
}

/// The image's SHA-256, fed as chunks arrive in file order, so that a
/// complete image is not read back to be hashed. Chunks that arrive ahead
/// of their turn (a resumed upload) are written but not hashed; once the
/// image is complete the rest is hashed from the file, from the first chunk
/// the running hash lacks.
#[derive(Clone)]
pub(crate) enum ImageHash {
    /// Chunks `0..next` are in `hasher`. `writes` counts chunk writes that
    /// touched chunk `next` or an earlier one: a write that hashed chunk
    /// `next` may only advance the hash if no other write touched those
    /// bytes meanwhile.
    Running {
        next: u64,
        hasher: Sha256,
        writes: u64,
    },
    /// A chunk already hashed was written again (or two writes of the
    /// same chunk overlapped): the digest comes from the whole file.
    Stale,
}

/// What a chunk write does about the hash, from [`Image::begin_write`].
#[derive(Debug)]
pub(crate) struct WriteClaim {
    pub chunk: u64,
    /// Hash the chunk's bytes into this (the state before the chunk); `None`
    /// for a chunk out of its turn.
    pub hasher: Option<Sha256>,
    writes: u64,
}

/// Hashing left once an image is complete: its first `size` bytes from
/// `offset` on, continuing `hasher`.
#[derive(Debug)]
pub(crate) struct HashRest {
    pub path: PathBuf,
    pub offset: u64,
    pub size: u64,
    pub hasher: Sha256,
    /// The image's write count when the job was made: the digest is kept
    /// only if no write came since.
    pub writes: u64,
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
    pub hash: ImageHash,
    /// Every chunk write begun, so that a digest from the file made while
    /// another write came is not kept.
    pub writes_begun: u64,
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

    /// A write of `chunk` starts: its bytes on disk are no longer the
    /// chunk that arrived before (if one did), so it counts as missing
    /// until this write succeeds. Answers whether this write hashes.
    pub fn begin_write(&mut self, chunk: u64) -> WriteClaim {
        self.received.remove(chunk);
        self.sha256 = None;
        self.writes_begun += 1;
        let mut claim = WriteClaim {
            chunk,
            hasher: None,
            writes: 0,
        };
        if let ImageHash::Running {
            next,
            hasher,
            writes,
        } = &mut self.hash
        {
            if chunk < *next {
                self.hash = ImageHash::Stale;
            } else if chunk == *next {
                *writes += 1;
                claim.hasher = Some(hasher.clone());
                claim.writes = *writes;
            }
        }
        claim
    }

    /// A write ended. `stored`: `None` if it failed (the chunk stays
    /// missing), else it stored exactly the chunk, with the claim's hasher
    /// after the chunk if the claim had one. Once the image is complete,
    /// either the digest is set here or the hashing left to do is answered.
    pub fn end_write(
        &mut self,
        claim: WriteClaim,
        stored: Option<Option<Sha256>>,
    ) -> Option<HashRest> {
        let hashed = stored?;
        self.received.insert(claim.chunk);
        if let ImageHash::Running {
            next,
            hasher,
            writes,
        } = &mut self.hash
            && claim.hasher.is_some()
        {
            if let Some(after) = hashed
                && *next == claim.chunk
                && *writes == claim.writes
            {
                *next += 1;
                *hasher = after;
            } else {
                // Another write of this chunk overlapped ours: which bytes
                // the file holds is the file's to say.
                self.hash = ImageHash::Stale;
            }
        }
        if !self.complete() {
            return None;
        }
        match &self.hash {
            ImageHash::Running { next, hasher, .. } if *next == self.chunk_count() => {
                self.sha256 = Some(hex::encode(hasher.clone().finalize()));
                None
            }
            ImageHash::Running { next, hasher, .. } => Some(HashRest {
                path: self.path.clone(),
                offset: next * self.chunk_size,
                size: self.size,
                hasher: hasher.clone(),
                writes: self.writes_begun,
            }),
            ImageHash::Stale => Some(HashRest {
                path: self.path.clone(),
                offset: 0,
                size: self.size,
                hasher: Sha256::new(),
                writes: self.writes_begun,
            }),
        }
    }

    /// The digest of a [`HashRest`], kept if the image is still complete
    /// and no write began since the job was made.
    pub fn finish_hash(&mut self, writes: u64, digest: String) {
        if self.writes_begun == writes && self.complete() {
            self.sha256 = Some(digest);
        }
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
            hash: ImageHash::Running {
                next: 0,
                hasher: Sha256::new(),
                writes: 0,
            },
            writes_begun: 0,
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

    /// Writes `chunks` (each stored whole) of an image of 3 chunks of 4
    /// bytes, hashing the bytes `[chunk; 4]` when the claim says to;
    /// answers what was left to hash from the file at the end.
    fn write(image: &mut Image, chunks: &[u64]) -> Option<HashRest> {
        let mut rest = None;
        for &chunk in chunks {
            let claim = image.begin_write(chunk);
            let hashed = claim.hasher.clone().map(|mut hasher| {
                hasher.update([chunk as u8; 4]);
                hasher
            });
            rest = image.end_write(claim, Some(hashed));
        }
        rest
    }

    fn image() -> Result<Image, ApiError> {
        let mut state = state();
        state.chunk_size = 4;
        let uuid = state.create_volume("a.iso", 12, Path::new("/u"))?.answer["image_uuid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let index = state
            .images
            .list
            .iter()
            .position(|image| image.uuid == uuid)
            .ok_or_else(|| ApiError::internal("no image"))?;
        Ok(state.images.list.swap_remove(index))
    }

    #[test]
    fn chunks_in_order_are_hashed_as_they_arrive_and_never_read_back() -> Result<(), ApiError> {
        let mut image = image()?;
        assert!(
            write(&mut image, &[0, 1, 2]).is_none(),
            "nothing left to read"
        );
        let expected = hex::encode(Sha256::digest([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]));
        assert_eq!(image.sha256.as_deref(), Some(expected.as_str()));
        Ok(())
    }

    #[test]
    fn chunks_out_of_turn_leave_the_rest_to_read_from_the_file() -> Result<(), ApiError> {
        let mut image = image()?;
        let rest = write(&mut image, &[0, 2, 1]).ok_or_else(|| ApiError::internal("no rest"))?;
        assert_eq!(
            (rest.offset, rest.size),
            (8, 12),
            "chunks 0 and 1 were hashed"
        );
        assert_eq!(image.sha256, None);
        let mut whole = rest.hasher.clone();
        whole.update([2, 2, 2, 2]);
        image.finish_hash(rest.writes, hex::encode(whole.finalize()));
        assert!(image.sha256.is_some());
        Ok(())
    }

    #[test]
    fn a_hashed_chunk_written_again_makes_the_file_the_source() -> Result<(), ApiError> {
        let mut image = image()?;
        write(&mut image, &[0, 1]);
        let rest = write(&mut image, &[0, 2]).ok_or_else(|| ApiError::internal("no rest"))?;
        assert_eq!(rest.offset, 0);
        // A digest from the file is dropped if a write began meanwhile.
        let claim = image.begin_write(1);
        image.finish_hash(rest.writes, "stale".to_string());
        assert_eq!(image.sha256, None);
        assert!(image.end_write(claim, Some(None)).is_some());
        Ok(())
    }

    #[test]
    fn a_failed_write_leaves_the_chunk_missing_and_the_hash_where_it_was() -> Result<(), ApiError> {
        let mut image = image()?;
        write(&mut image, &[0]);
        let claim = image.begin_write(1);
        assert!(claim.hasher.is_some());
        assert!(image.end_write(claim, None).is_none());
        assert_eq!(image.missing(), vec![1, 2]);
        // The retry hashes chunk 1 from the state after chunk 0.
        assert!(write(&mut image, &[1, 2]).is_none());
        assert!(image.sha256.is_some());
        // A stored chunk overwritten by a failed write is missing again.
        let claim = image.begin_write(2);
        image.end_write(claim, None);
        assert_eq!((image.missing(), image.sha256.as_deref()), (vec![2], None));
        Ok(())
    }

    #[test]
    fn two_writes_of_one_chunk_at_once_leave_the_digest_to_the_file() -> Result<(), ApiError> {
        let mut image = image()?;
        let first = image.begin_write(0);
        let second = image.begin_write(0);
        assert!(first.hasher.is_some() && second.hasher.is_some());
        let hashed = |claim: &WriteClaim| {
            claim.hasher.clone().map(|mut hasher| {
                hasher.update([0_u8; 4]);
                hasher
            })
        };
        let (first_hash, second_hash) = (hashed(&first), hashed(&second));
        image.end_write(second, Some(second_hash));
        image.end_write(first, Some(first_hash));
        let rest = write(&mut image, &[1, 2]).ok_or_else(|| ApiError::internal("no rest"))?;
        assert_eq!(rest.offset, 0);
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
