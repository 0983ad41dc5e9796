//! Availability rules as they are stored: JSON text that has passed
//! `doorstep-core`'s validation. The type can only be made by validating,
//! so no unchecked rule reaches the database.

use doorstep_core::rules::{RuleError, validate_rule_json};

/// A validated availability rule, as JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleJson(String);

impl RuleJson {
    /// Validates `text` against the rule language and the known tide
    /// stations.
    ///
    /// # Errors
    /// Every problem of the rule, each with its JSON path.
    pub fn parse(text: &str, known_stations: &[&str]) -> Result<RuleJson, Vec<RuleError>> {
        validate_rule_json(text, known_stations)?;
        Ok(RuleJson(text.to_string()))
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_valid_rules_become_rule_json() {
        let good = r#"{"mode":"in_person","when":[{"hours":["08:00","11:00"]}]}"#;
        assert_eq!(RuleJson::parse(good, &[]).unwrap().as_str(), good);
        let errors = RuleJson::parse(
            r#"{"mode":"in_person","when":[{"hours":["08:00","25:00"]}]}"#,
            &[],
        )
        .unwrap_err();
        assert_eq!(errors[0].path, "when[0].hours[1]");
        let errors = RuleJson::parse(
            r#"{"mode":"in_person","when":[{"tide":{"station":"nowhere","near":"high","within_minutes":30}}]}"#,
            &["lach-bang"],
        )
        .unwrap_err();
        assert!(errors[0].path.starts_with("when[0].tide"), "{errors:?}");
    }
}
