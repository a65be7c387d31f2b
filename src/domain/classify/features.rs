//! Turning Chinese text into the features the classifier and the duplicate finder use:
//! jieba words (prefixed `w:`) and character bigrams over runs of Han characters
//! (prefixed `b:`). Words carry meaning; bigrams catch what the dictionary splits badly.

use std::collections::BTreeSet;

use jieba_rs::Jieba;

/// Words too common in appeals to say anything about the category.
const STOP_WORDS: &[&str] = &[
    "的", "了", "在", "是", "我", "我们", "你", "他", "她", "它", "们", "有", "和", "与", "也", "都", "就", "还", "又", "很", "太", "把",
    "被", "给", "让", "这", "那", "这个", "那个", "一个", "一些", "什么", "怎么", "没有", "不", "没", "要", "会", "能", "可以", "请",
    "希望", "一下", "已经", "现在", "每天", "最近", "一直", "好", "说", "去", "来", "到", "上", "下", "里", "着", "过", "吗", "呢", "吧",
    "啊", "家", "人",
];

/// Whether a character is a Han ideograph (the CJK blocks appeals use).
pub fn is_han(character: char) -> bool {
    matches!(character as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF)
}

/// Whether a token is worth keeping: it has a Han character, a letter or a digit.
pub fn is_content_token(token: &str) -> bool {
    token.chars().any(|character| is_han(character) || character.is_alphanumeric())
}

/// The content words of a text, in order, as jieba segments them (HMM on for new words).
/// Search mode (long words also yielding their parts) measured worse on the corpus.
pub fn words<'a>(jieba: &Jieba, text: &'a str) -> Vec<&'a str> {
    jieba.cut(text, true).into_iter().map(|token| token.word).filter(|word| is_content_token(word) && !STOP_WORDS.contains(word)).collect()
}

/// Character bigrams over each run of Han characters.
pub fn han_bigrams(text: &str) -> Vec<String> {
    let mut bigrams = Vec::new();
    let mut previous: Option<char> = None;
    for character in text.chars() {
        if is_han(character) {
            if let Some(first) = previous {
                let mut bigram = String::with_capacity(6);
                bigram.push(first);
                bigram.push(character);
                bigrams.push(bigram);
            }
            previous = Some(character);
        } else {
            previous = None;
        }
    }
    bigrams
}

/// The distinct features of a text for the classifier: `w:` words and `b:` bigrams.
/// Each feature counts once per text (short texts make presence more telling than counts).
pub fn features(jieba: &Jieba, text: &str) -> Vec<String> {
    let mut set = BTreeSet::new();
    for word in words(jieba, text) {
        set.insert(format!("w:{word}"));
    }
    for bigram in han_bigrams(text) {
        set.insert(format!("b:{bigram}"));
    }
    set.into_iter().collect()
}

/// The readable part of a feature, for explanations: the word or bigram itself.
pub fn feature_text(feature: &str) -> &str {
    feature.split_once(':').map_or(feature, |(_, text)| text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigrams_stay_inside_runs_of_han_characters() {
        assert_eq!(han_bigrams("燃气泄漏！快来"), vec!["燃气", "气泄", "泄漏", "快来"]);
        assert!(han_bigrams("a1 。").is_empty());
    }

    #[test]
    fn features_drop_punctuation_and_stop_words() {
        let jieba = Jieba::new();
        let features = features(&jieba, "我家的燃气泄漏了，请快来！");
        assert!(features.contains(&"w:燃气".to_string()), "{features:?}");
        assert!(features.contains(&"b:泄漏".to_string()), "{features:?}");
        assert!(!features.iter().any(|feature| feature.contains('，') || feature == "w:的"), "{features:?}");
    }
}
