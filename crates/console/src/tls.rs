//! HTTPS for a console a team reaches over the network: a certificate and
//! key the site gives (PEM files), or one the console makes for itself
//! once and keeps in its data directory (`tls/self-signed.pem`, the key
//! `tls/self-signed.key`, 0600), naming `localhost`, this host's name, the
//! loopback addresses and the listen address. A kept certificate is used
//! again while it names all of those, so its fingerprint — what a browser
//! shows and a user pins — stays the same across restarts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use smtx_i18n::{Lang, Localize};

/// The data directory's folder of the self-signed certificate.
pub const TLS_DIR: &str = "tls";
/// The self-signed certificate (PEM), for users to trust.
pub const SELF_SIGNED_CERT: &str = "self-signed.pem";
/// Its private key (PEM, 0600).
pub const SELF_SIGNED_KEY: &str = "self-signed.key";

/// Where the console's certificate comes from.
#[derive(Debug, Clone)]
pub enum TlsSource {
    /// `--tls-cert FILE --tls-key FILE`.
    Files { cert: PathBuf, key: PathBuf },
    /// `--tls-self-signed`: made once, kept in the data directory.
    SelfSigned,
}

/// The server's TLS configuration and what a user checks it by.
#[derive(Clone)]
pub struct ConsoleTls {
    pub(crate) config: Arc<ServerConfig>,
    /// SHA-256 of the leaf certificate, as browsers show it
    /// (`AB:CD:…`, upper-case hex).
    pub fingerprint: String,
    /// The certificate file served.
    pub cert_file: PathBuf,
}

impl std::fmt::Debug for ConsoleTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleTls")
            .field("fingerprint", &self.fingerprint)
            .field("cert_file", &self.cert_file)
            .finish_non_exhaustive()
    }
}

/// What is wrong with a certificate or key file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsFileProblem {
    /// The operating system's words.
    #[error("cannot read it: {0}")]
    Unreadable(String),
    #[error("not PEM: {0}")]
    NotPem(String),
    #[error("no CERTIFICATE block in it")]
    NoCertificate,
    #[error("no PRIVATE KEY block in it (PKCS#8, RSA or EC)")]
    NoKey,
    /// What rustls said of it.
    #[error("not usable: {0}")]
    Invalid(String),
}

impl Localize for TlsFileProblem {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Unreadable(cause), Lang::ZhCn) => {
                format!("无法读取：{}", smtx_i18n::quoted(lang, cause))
            }
            (Self::NotPem(cause), Lang::ZhCn) => {
                format!("不是 PEM 格式：{}", smtx_i18n::quoted(lang, cause))
            }
            (Self::NoCertificate, Lang::ZhCn) => "其中没有 CERTIFICATE 块".into(),
            (Self::NoKey, Lang::ZhCn) => "其中没有 PRIVATE KEY 块（PKCS#8、RSA 或 EC）".into(),
            (Self::Invalid(cause), Lang::ZhCn) => {
                format!("无法使用：{}", smtx_i18n::quoted(lang, cause))
            }
        }
    }
}

/// Why the console cannot serve HTTPS.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsError {
    #[error("TLS certificate {}: {problem}", path.display())]
    Cert {
        path: PathBuf,
        problem: TlsFileProblem,
    },
    #[error("TLS key {}: {problem}", path.display())]
    Key {
        path: PathBuf,
        problem: TlsFileProblem,
    },
    #[error("TLS key {} is not the key of certificate {}", key.display(), cert.display())]
    Mismatch { cert: PathBuf, key: PathBuf },
    /// The self-signed certificate could not be made or kept.
    #[error("self-signed certificate {}: {reason}", path.display())]
    SelfSigned { path: PathBuf, reason: String },
}

impl Localize for TlsError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Cert { path, problem }, Lang::ZhCn) => {
                format!("TLS 证书 {}：{}", path.display(), problem.localize(lang))
            }
            (Self::Key { path, problem }, Lang::ZhCn) => {
                format!("TLS 私钥 {}：{}", path.display(), problem.localize(lang))
            }
            (Self::Mismatch { cert, key }, Lang::ZhCn) => format!(
                "TLS 私钥 {} 与证书 {} 不匹配",
                key.display(),
                cert.display()
            ),
            (Self::SelfSigned { path, reason }, Lang::ZhCn) => format!(
                "自签名证书 {}：{}",
                path.display(),
                smtx_i18n::quoted(lang, reason)
            ),
        }
    }
}

/// `AB:CD:…`: the SHA-256 of `der` as browsers show a fingerprint.
pub fn fingerprint(der: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(der)
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let fail = |problem| TlsError::Cert {
        path: path.to_path_buf(),
        problem,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(TlsFileProblem::Unreadable(e.to_string())))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(TlsFileProblem::NotPem(e.to_string())))?;
    if certs.is_empty() {
        return Err(fail(TlsFileProblem::NoCertificate));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let fail = |problem| TlsError::Key {
        path: path.to_path_buf(),
        problem,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(TlsFileProblem::Unreadable(e.to_string())))?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => fail(TlsFileProblem::NoKey),
        other => fail(TlsFileProblem::NotPem(other.to_string())),
    })
}

/// The server configuration over `certs` and `key`: HTTP/1.1 only, as the
/// accept loop serves.
fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    cert_path: &Path,
    key_path: &Path,
) -> Result<ServerConfig, TlsError> {
    let builder =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Cert {
                path: cert_path.to_path_buf(),
                problem: TlsFileProblem::Invalid(e.to_string()),
            })?;
    let mut config = builder
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| match error {
            rustls::Error::InconsistentKeys(_) => TlsError::Mismatch {
                cert: cert_path.to_path_buf(),
                key: key_path.to_path_buf(),
            },
            other => TlsError::Key {
                path: key_path.to_path_buf(),
                problem: TlsFileProblem::Invalid(other.to_string()),
            },
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The certificate and key of `cert` and `key` (PEM), checked to belong
/// together.
pub fn from_files(cert: &Path, key: &Path) -> Result<ConsoleTls, TlsError> {
    let certs = read_certs(cert)?;
    let fingerprint = fingerprint(certs[0].as_ref());
    let key_der = read_key(key)?;
    let config = server_config(certs, key_der, cert, key)?;
    Ok(ConsoleTls {
        config: Arc::new(config),
        fingerprint,
        cert_file: cert.to_path_buf(),
    })
}

/// The names a self-signed certificate for `listen` gives: `localhost`,
/// this host's name, the loopback addresses and the listen address (not
/// `0.0.0.0`/`::`, which no client connects to).
pub fn self_signed_names(listen: SocketAddr) -> (Vec<String>, Vec<IpAddr>) {
    let mut names = vec!["localhost".to_string()];
    if let Some(host) = smtx_platform::host::host_name()
        && !names.contains(&host)
        && ServerName::try_from(host.clone()).is_ok()
    {
        names.push(host);
    }
    let mut ips = vec![
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ];
    let ip = listen.ip();
    if !ip.is_unspecified() && !ips.contains(&ip) {
        ips.push(ip);
    }
    (names, ips)
}

/// Whether the kept certificate names every one of `names` and `ips`.
fn names_all(cert: &CertificateDer<'_>, names: &[String], ips: &[IpAddr]) -> bool {
    let Ok(parsed) = rustls::server::ParsedCertificate::try_from(cert) else {
        return false;
    };
    let wanted = names
        .iter()
        .filter_map(|name| ServerName::try_from(name.as_str()).ok())
        .chain(ips.iter().map(|ip| ServerName::IpAddress((*ip).into())));
    wanted
        .into_iter()
        .all(|name| rustls::client::verify_server_name(&parsed, &name).is_ok())
}

/// The self-signed certificate in `data_dir/tls/`: the kept one when it
/// is readable and names all of [`self_signed_names`], else a new one,
/// written before it is used (the key 0600).
pub fn self_signed(data_dir: &Path, listen: SocketAddr) -> Result<ConsoleTls, TlsError> {
    let dir = data_dir.join(TLS_DIR);
    let cert_path = dir.join(SELF_SIGNED_CERT);
    let key_path = dir.join(SELF_SIGNED_KEY);
    let (names, ips) = self_signed_names(listen);
    if cert_path.is_file() && key_path.is_file() {
        let kept = read_certs(&cert_path).ok().filter(|certs| {
            certs
                .first()
                .is_some_and(|cert| names_all(cert, &names, &ips))
        });
        if kept.is_some() {
            return from_files(&cert_path, &key_path);
        }
    }
    let fail = |path: &Path, reason: String| TlsError::SelfSigned {
        path: path.to_path_buf(),
        reason,
    };
    let (cert_pem, key_pem) = generate(&names, &ips).map_err(|e| fail(&cert_path, e))?;
    crate::create_private_dir(&dir).map_err(|e| fail(&dir, e.to_string()))?;
    write_private(&key_path, key_pem.as_bytes()).map_err(|e| fail(&key_path, e.to_string()))?;
    std::fs::write(&cert_path, cert_pem.as_bytes()).map_err(|e| fail(&cert_path, e.to_string()))?;
    from_files(&cert_path, &key_path)
}

/// Writes `bytes` to `path`, readable by its user only, whatever was there.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = smtx_platform::files::private_file(
        std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true),
    )
    .open(path)?;
    // A key file left by an earlier version (or a user) keeps its mode on
    // open: made private before the key is in it.
    smtx_platform::files::make_file_private(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// A self-signed server certificate for `names` and `ips`, and its key
/// (both PEM).
fn generate(names: &[String], ips: &[IpAddr]) -> Result<(String, String), String> {
    use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, SanType};
    let mut params = CertificateParams::new(names.to_vec()).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(DnType::CommonName, "smtx-deploy console");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params
        .subject_alt_names
        .extend(ips.iter().copied().map(SanType::IpAddress));
    let now = std::time::SystemTime::now();
    params.not_before = (now - std::time::Duration::from_secs(24 * 3600)).into();
    // Ten years: a site's console is not expected to outlive it, and a
    // certificate that expires under a running site breaks every browser.
    params.not_after = (now + std::time::Duration::from_secs(10 * 365 * 24 * 3600)).into();
    let key = KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok((cert.pem(), key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_is_kept_and_names_the_listen_address() {
        let dir = tempfile::tempdir().expect("tempdir");
        let listen: SocketAddr = "127.0.0.2:8443".parse().expect("addr");
        let first = self_signed(dir.path(), listen).expect("made");
        let again = self_signed(dir.path(), listen).expect("kept");
        assert_eq!(first.fingerprint, again.fingerprint);
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        let certs = read_certs(&first.cert_file).expect("PEM");
        assert_eq!(first.fingerprint, fingerprint(certs[0].as_ref()));
        let ips = [IpAddr::from([127, 0, 0, 2]), IpAddr::from([127, 0, 0, 1])];
        assert!(names_all(&certs[0], &["localhost".into()], &ips));
        // Another listen address: a new certificate that names it.
        let other: SocketAddr = "127.0.0.3:8443".parse().expect("addr");
        let moved = self_signed(dir.path(), other).expect("made again");
        assert_ne!(moved.fingerprint, first.fingerprint);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TLS_DIR).join(SELF_SIGNED_KEY))
                .expect("key")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, _) = generate(&["localhost".into()], &[]).expect("one");
        let (_, key) = generate(&["localhost".into()], &[]).expect("two");
        let cert_path = dir.path().join("c.pem");
        let key_path = dir.path().join("k.pem");
        std::fs::write(&cert_path, cert).expect("written");
        std::fs::write(&key_path, key).expect("written");
        assert!(matches!(
            from_files(&cert_path, &key_path),
            Err(TlsError::Mismatch { .. })
        ));
        assert!(matches!(
            from_files(&key_path, &key_path),
            Err(TlsError::Cert {
                problem: TlsFileProblem::NoCertificate,
                ..
            })
        ));
        assert!(matches!(
            from_files(&cert_path, &cert_path),
            Err(TlsError::Key {
                problem: TlsFileProblem::NoKey,
                ..
            })
        ));
    }
}
