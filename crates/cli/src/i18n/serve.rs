//! The messages of `smtx-deploy serve` about how it is reached: HTTPS,
//! plain HTTP off loopback, and the token flags. Kept apart so that every
//! flag they name is checked against `serve`'s parser
//! (`cli/tests/it/hints.rs`).

use smtx_i18n::{Lang, Localize};

smtx_i18n::catalog! {
    /// What `serve` says of its transport and tokens.
    pub enum ServeMsg {
        /// Off loopback without TLS and without `--allow-http`: refused.
        PlainHttpOffLoopback { addr: String },
        /// Off loopback without TLS, with `--allow-http`: served, warned.
        PlainHttpWarning { addr: String },
        /// `--token` (or its variable) and `--token-file` at once.
        TokenAndTokenFile,
        /// The names of the tokens `--token-file` gave, shown at start.
        NamedTokens { names: Vec<String> },
    }
}

impl Localize for ServeMsg {
    fn localize(&self, lang: Lang) -> String {
        use Lang::{En, ZhCn};
        match (self, lang) {
            (Self::PlainHttpOffLoopback { addr }, En) => format!(
                "--listen {addr} is reachable from the network, and plain HTTP would carry \
                 the token and the clusters' passwords in clear; add --tls-self-signed (or \
                 --tls-cert FILE --tls-key FILE), or --allow-http if that is meant"
            ),
            (Self::PlainHttpOffLoopback { addr }, ZhCn) => format!(
                "--listen {addr} 可从网络访问，明文 HTTP 会以明文传送令牌和集群密码；\
                 请加上 --tls-self-signed（或 --tls-cert FILE --tls-key FILE），确有此意时加 --allow-http"
            ),
            (Self::PlainHttpWarning { addr }, En) => format!(
                "warning: serving plain HTTP on {addr} (--allow-http): tokens and passwords \
                 cross the network unencrypted"
            ),
            (Self::PlainHttpWarning { addr }, ZhCn) => format!(
                "警告：在 {addr} 上以明文 HTTP 提供服务（--allow-http）：令牌和密码将不加密地在网络上传输"
            ),
            (Self::TokenAndTokenFile, En) => {
                "--token (or SMTX_CONSOLE_TOKEN) and --token-file together: give one; a single \
                 token can be a `NAME TOKEN` line of the file"
                    .into()
            }
            (Self::TokenAndTokenFile, ZhCn) => {
                "--token（或 SMTX_CONSOLE_TOKEN）与 --token-file 不能同时使用：请只给一个；\
                 单个令牌可写成文件中的一行 `NAME TOKEN`"
                    .into()
            }
            (Self::NamedTokens { names }, En) => {
                format!("tokens accepted: {}", names.join(", "))
            }
            (Self::NamedTokens { names }, ZhCn) => {
                // Names are the file's words, not Chinese: quoted as such.
                let quoted: Vec<String> = names.iter().map(|name| format!("「{name}」")).collect();
                format!("接受的令牌：{}", quoted.join("、"))
            }
        }
    }
}
