//! The messages of the CPU compatibility step.

use smtx_i18n::{Lang, Lang::En, Lang::ZhCn, Localize, quoted};

smtx_i18n::catalog! {
    pub enum CpuMsg {
        TurnedOff,
        Would,
        NoRecommendation,
        WouldSet { model: String },
        Confirmed { model: String },
        /// Set, but the cluster reads back another model (or none).
        Mismatch { model: String, current: Option<String> },
    }
}

impl Localize for CpuMsg {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::TurnedOff, En) => "turned off in the settings".into(),
            (Self::TurnedOff, ZhCn) => "已在设置中关闭".into(),
            (Self::Would, En) => {
                "would set the first CPU model the cluster recommends, then read it back".into()
            }
            (Self::Would, ZhCn) => "将设置集群推荐的第一个 CPU 型号，再读回确认".into(),
            (Self::NoRecommendation, En) => "the cluster recommends no CPU model".into(),
            (Self::NoRecommendation, ZhCn) => "集群没有推荐任何 CPU 型号".into(),
            (Self::WouldSet { model }, En) => format!("would set {model}"),
            (Self::WouldSet { model }, ZhCn) => format!("将设置为 {model}"),
            (Self::Confirmed { model }, En) => format!("{model} set and confirmed"),
            (Self::Confirmed { model }, ZhCn) => format!("{model} 已设置并确认"),
            (Self::Mismatch { model, current }, En) => {
                format!("set {model} but the cluster reports {current:?}")
            }
            (Self::Mismatch { model, current }, ZhCn) => format!(
                "已设置 {model}，但集群读回的是{}",
                match current {
                    Some(current) => format!(" {}", quoted(lang, current)),
                    None => "空值".to_string(),
                }
            ),
        }
    }
}
