//! The SVT upload spoken by hand with plain reqwest, not through
//! `smtx-api`: the benchmark's baseline and the test that leaves a volume
//! half uploaded both need a client that is not the one under test.

use serde_json::Value;

pub type RawError = Box<dyn std::error::Error + Send + Sync>;

/// A session and a volume on the simulator, reached without `smtx-api`.
pub struct RawVolume {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
    pub image_uuid: String,
    pub zbs_volume_id: String,
    pub name: String,
}

impl RawVolume {
    /// Log in as root with `password`, then `create_volume` for `name`/`size`.
    pub async fn create(
        http: reqwest::Client,
        base: &str,
        password: &str,
        name: &str,
        size: u64,
    ) -> Result<Self, RawError> {
        let session: Value = http
            .post(format!("{base}/api/v3/sessions"))
            .json(
                &serde_json::json!({"username": "root", "password": password, "encrypted": false}),
            )
            .send()
            .await?
            .json()
            .await?;
        let token = session["token"].as_str().ok_or("no token")?.to_string();
        let volume: Value = http
            .post(format!("{base}/api/v2/svt_image/create_volume"))
            .query(&[("name", name.to_string()), ("size", size.to_string())])
            .header("x-smartx-token", &token)
            .send()
            .await?
            .json()
            .await?;
        let data = &volume["data"];
        let text = |key: &str| -> Result<String, RawError> {
            Ok(data[key].as_str().ok_or(format!("no {key}"))?.to_string())
        };
        Ok(Self {
            image_uuid: text("image_uuid")?,
            zbs_volume_id: text("zbs_volume_id")?,
            http,
            base: base.to_string(),
            token,
            name: name.to_string(),
        })
    }

    /// One `upload_template` call carrying `bytes` as chunk `index`.
    pub async fn send_chunk(
        &self,
        index: u64,
        bytes: Vec<u8>,
    ) -> Result<reqwest::Response, RawError> {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(self.name.clone())
            .mime_str("application/octet-stream")?;
        Ok(self
            .http
            .post(format!("{}/api/v2/svt_image/upload_template", self.base))
            .query(&[
                ("zbs_volume_id", self.zbs_volume_id.clone()),
                ("chunk_num", index.to_string()),
                ("image_uuid", self.image_uuid.clone()),
            ])
            .header("x-smartx-token", &self.token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await?)
    }
}
