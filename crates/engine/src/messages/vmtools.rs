//! The messages of the VMTools (SVT) upload step.

use smtx_i18n::{FrontEnd, Lang, Lang::En, Lang::ZhCn, Localize, quoted};

use super::Action;

smtx_i18n::catalog! {
    pub enum VmtoolsMsg {
        NoIso { dir: String },
        NoIsoHint,
        Unreadable { path: String, reason: String },
        CheckIsoHint,
        Empty { path: String },
        EmptyHint,
        AlreadyUploaded { file: String, sha256: String },
        WouldUpload { file: String, size: u64 },
        Uploaded { file: String, chunks: u64, chunk_size: u64, recreated: bool, sha256: String },
        RolledBackHint,
        ChunkingHint,
    }
}

impl Localize for VmtoolsMsg {
    fn localize_for(&self, front: FrontEnd, lang: Lang) -> String {
        if front == FrontEnd::Cli {
            return self.localize(lang);
        }
        match (self, lang) {
            // The console's working directory means nothing to its user.
            (Self::NoIso { .. }, En) => {
                "no VMTools ISO was chosen: VMTools is not uploaded to the cluster".into()
            }
            (Self::NoIso { .. }, ZhCn) => "未选择 VMTools ISO：不会向集群上传 VMTools".into(),
            (Self::NoIsoHint, En) => format!(
                "choose {} and resume the run, or upload VMTools later; virtual machines need it",
                Action::ChooseIso.words(front, lang)
            ),
            (Self::NoIsoHint, ZhCn) => format!(
                "选择{}后继续运行，或稍后再上传 VMTools；虚拟机需要它",
                Action::ChooseIso.words(front, lang)
            ),
            (Self::CheckIsoHint, En) => format!("check {}", Action::ChooseIso.words(front, lang)),
            (Self::CheckIsoHint, ZhCn) => format!("检查{}", Action::ChooseIso.words(front, lang)),
            (Self::AlreadyUploaded { file, sha256 }, En) => format!(
                "{file} (sha256 {sha256}) was already uploaded to this cluster; start again with {} to send it again",
                Action::ForceUpload.words(front, lang)
            ),
            (Self::AlreadyUploaded { file, sha256 }, ZhCn) => format!(
                "{file}（sha256 {sha256}）已上传到本集群；如需重新上传，请{}后重新开始",
                Action::ForceUpload.words(front, lang)
            ),
            _ => self.localize(lang),
        }
    }

    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::NoIso { dir }, En) => format!(
                "no VMTools ISO configured and no SMTX_VMTOOLS-*.iso in {dir}: VMTools is not uploaded to the cluster"
            ),
            (Self::NoIso { dir }, ZhCn) => format!(
                "未配置 VMTools ISO，{dir} 中也没有 SMTX_VMTOOLS-*.iso：不会向集群上传 VMTools"
            ),
            (Self::NoIsoHint, En) => "give --vmtools-iso FILE (or vmtools.iso in the settings file) and run again with --from the run directory; virtual machines need VMTools".into(),
            (Self::NoIsoHint, ZhCn) => "指定 --vmtools-iso FILE（或在设置文件中写 vmtools.iso），再用 --from 运行目录继续运行；虚拟机需要 VMTools".into(),
            (Self::Unreadable { path, reason }, En) => {
                format!("{path}: {reason}; upload skipped")
            }
            (Self::Unreadable { path, reason }, ZhCn) => {
                format!("{path}：{}；跳过上传", quoted(lang, reason))
            }
            (Self::CheckIsoHint, En) => "check --vmtools-iso / vmtools.iso".into(),
            (Self::CheckIsoHint, ZhCn) => "检查 --vmtools-iso 或 vmtools.iso".into(),
            (Self::Empty { path }, En) => format!("{path} is empty; upload skipped"),
            (Self::Empty { path }, ZhCn) => format!("{path} 是空文件；跳过上传"),
            (Self::EmptyHint, En) => {
                "copy the VMTools ISO again; an interrupted copy leaves an empty file".into()
            }
            (Self::EmptyHint, ZhCn) => "重新复制 VMTools ISO；复制中断会留下空文件".into(),
            (Self::AlreadyUploaded { file, sha256 }, En) => format!(
                "{file} (sha256 {sha256}) was already uploaded to this cluster; --force-upload to send it again"
            ),
            (Self::AlreadyUploaded { file, sha256 }, ZhCn) => {
                format!("{file}（sha256 {sha256}）已上传到本集群；如需重新上传请加 --force-upload")
            }
            (Self::WouldUpload { file, size }, En) => {
                format!("would upload {file} ({size} bytes)")
            }
            (Self::WouldUpload { file, size }, ZhCn) => format!("将上传 {file}（{size} 字节）"),
            (
                Self::Uploaded {
                    file,
                    chunks,
                    chunk_size,
                    recreated,
                    sha256,
                },
                En,
            ) => format!(
                "{file}: {chunks} chunk(s) of {chunk_size} bytes sent{}, sha256 {sha256}",
                if *recreated {
                    ", after recreating the volume"
                } else {
                    ""
                }
            ),
            (
                Self::Uploaded {
                    file,
                    chunks,
                    chunk_size,
                    recreated,
                    sha256,
                },
                ZhCn,
            ) => format!(
                "{file}：{}已发送 {chunks} 块（每块 {chunk_size} 字节），sha256 {sha256}",
                if *recreated { "重建卷之后" } else { "" }
            ),
            (Self::RolledBackHint, En) => {
                "the image was rolled back; check the network to the cluster and run again".into()
            }
            (Self::RolledBackHint, ZhCn) => "镜像已回滚；检查到集群的网络后重新运行".into(),
            (Self::ChunkingHint, En) => {
                "the cluster asked for a chunking this client does not accept; the image was rolled back; send the stage log to the tool's maintainers".into()
            }
            (Self::ChunkingHint, ZhCn) => {
                "集群要求的分块方式本工具不接受；镜像已回滚；请把阶段日志发给本工具的维护者".into()
            }
        }
    }
}
