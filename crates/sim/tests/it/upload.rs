//! The simulator's image store over HTTP: the SHA-256 it reports is of the
//! bytes it holds whichever order the chunks came in, and a chunk of the
//! wrong size, cut short or missing leaves the image incomplete with no
//! digest — including a good chunk overwritten by a bad one.

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use smtx_sim::SimOptions;
use smtx_testkit::{fixture_spec, start_sim};

use crate::common::{Plain, TestResult};
use crate::session::upload_chunk;

const CHUNK: usize = 1024;

fn data(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| ((i * 7 + seed) % 251) as u8)
        .collect()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A simulator with 1 KiB chunks, a logged-in client and a volume for
/// `size` bytes.
async fn volume(size: usize) -> Result<(smtx_sim::RunningSim, Plain, Value, String), String> {
    let options = SimOptions {
        chunk_size: CHUNK as u64,
        ..SimOptions::default()
    };
    let sim = start_sim(fixture_spec(3, 2), options).await;
    let mut client = Plain::new(&sim).map_err(|e| e.to_string())?;
    client
        .setup_and_login("HC!r0cks")
        .await
        .map_err(|e| e.to_string())?;
    let answer = client
        .call(
            Method::POST,
            0,
            &format!("/api/v2/svt_image/create_volume?name=vmtools.iso&size={size}"),
            None,
        )
        .await
        .map_err(|e| e.to_string())?;
    let volume = answer.data().clone();
    let target = client.hosts[0].clone();
    Ok((sim, client, volume, target))
}

fn image(sim: &smtx_sim::RunningSim) -> Value {
    sim.state()["images"][0].clone()
}

#[tokio::test]
async fn the_digest_is_of_the_bytes_held_in_any_chunk_order() -> TestResult {
    let bytes = data(5 * CHUNK + 300, 1);
    let pieces: Vec<&[u8]> = bytes.chunks(CHUNK).collect();
    // In order; out of order (a resume: 0, 2, 3, then 1, 4, 5); the last
    // first; and a chunk sent twice after it was hashed.
    let orders: [&[u64]; 4] = [
        &[0, 1, 2, 3, 4, 5],
        &[0, 2, 3, 1, 4, 5],
        &[5, 4, 3, 2, 1, 0],
        &[0, 1, 2, 1, 3, 4, 5],
    ];
    for order in orders {
        let (sim, client, volume, target) = volume(bytes.len()).await?;
        for &chunk in order {
            let answer =
                upload_chunk(&client, &target, &volume, chunk, pieces[chunk as usize]).await?;
            assert_eq!(answer.status, 200, "{order:?}: {}", answer.body);
        }
        let seen = image(&sim);
        assert_eq!(seen["complete"], true, "{order:?}");
        assert_eq!(seen["sha256"], sha(&bytes).as_str(), "{order:?}");
        sim.shutdown().await;
    }
    Ok(())
}

#[tokio::test]
async fn a_chunk_rewritten_with_other_bytes_changes_the_digest() -> TestResult {
    let bytes = data(3 * CHUNK, 2);
    let (sim, client, volume, target) = volume(bytes.len()).await?;
    for (chunk, piece) in bytes.chunks(CHUNK).enumerate() {
        upload_chunk(&client, &target, &volume, chunk as u64, piece).await?;
    }
    assert_eq!(image(&sim)["sha256"], sha(&bytes).as_str());
    // Chunk 1 again, other bytes of the right size: a cluster cannot tell,
    // but what it holds (and so the digest) is the new chunk.
    let other = data(CHUNK, 99);
    let answer = upload_chunk(&client, &target, &volume, 1, &other).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let mut held = bytes.clone();
    held[CHUNK..2 * CHUNK].copy_from_slice(&other);
    assert_ne!(sha(&held), sha(&bytes));
    assert_eq!(image(&sim)["sha256"], sha(&held).as_str());
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_wrong_or_missing_chunk_leaves_the_image_incomplete() -> TestResult {
    let bytes = data(3 * CHUNK + 10, 3);
    let pieces: Vec<&[u8]> = bytes.chunks(CHUNK).collect();
    let (sim, client, volume, target) = volume(bytes.len()).await?;
    let first = upload_chunk(&client, &target, &volume, 0, pieces[0]).await?;
    assert_eq!(first.data()["to_upload"], json!([1, 2, 3]));
    // Too short, too long (the last chunk is 10 bytes).
    let short = upload_chunk(&client, &target, &volume, 1, &pieces[1][..CHUNK - 1]).await?;
    assert_eq!(
        (short.status, &short.body["ec"]),
        (400, &json!("CHUNK_SIZE_MISMATCH"))
    );
    let long = upload_chunk(&client, &target, &volume, 3, &bytes[..11]).await?;
    assert_eq!(
        (long.status, &long.body["ec"]),
        (400, &json!("CHUNK_SIZE_MISMATCH"))
    );
    upload_chunk(&client, &target, &volume, 1, pieces[1]).await?;
    let answer = upload_chunk(&client, &target, &volume, 3, pieces[3]).await?;
    assert_eq!(
        answer.data()["to_upload"],
        json!([2]),
        "chunk 2 was never sent"
    );
    let seen = image(&sim);
    assert_eq!(
        (&seen["complete"], &seen["sha256"]),
        (&json!(false), &Value::Null)
    );
    // A good chunk overwritten by a short one is missing again.
    let broken = upload_chunk(&client, &target, &volume, 0, &pieces[0][..10]).await?;
    assert_eq!(broken.status, 400);
    let answer = upload_chunk(&client, &target, &volume, 2, pieces[2]).await?;
    assert_eq!(answer.data()["to_upload"], json!([0]));
    let seen = image(&sim);
    assert_eq!(
        (&seen["complete"], &seen["sha256"]),
        (&json!(false), &Value::Null)
    );
    // Sent again whole, the image is complete and its digest is the file's.
    let answer = upload_chunk(&client, &target, &volume, 0, pieces[0]).await?;
    assert_eq!(answer.data()["to_upload"], json!([]));
    assert_eq!(image(&sim)["sha256"], sha(&bytes).as_str());
    sim.shutdown().await;
    Ok(())
}
