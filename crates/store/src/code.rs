//! Columns that hold one of core's closed vocabularies.
//!
//! A [`Code`] is stored as its value's code (`"published"`, `"at_sea"`…) and
//! read back only if the code is one of the vocabulary's: an unknown stored
//! code is an error that names the vocabulary and the code, never a default.
//! The database refuses unknown codes too (the vocabularies' constraints,
//! migration `m20261207_000001_vocabularies`).

use std::sync::Arc;

use doorstep_core::Vocabulary;
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, StringLen, ValueType, ValueTypeErr};
use sea_orm::{
    ActiveValue, ColIdx, DbErr, IntoActiveValue, QueryResult, TryGetError, TryGetable, Value,
};

/// A column holding a value of the vocabulary `T`, stored as its code.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Code<T>(pub T);

/// A stored code that its vocabulary does not have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {vocabulary} {code:?} in the database: expected one of {expected}")]
pub struct UnknownCode {
    /// The vocabulary's name.
    pub vocabulary: &'static str,
    /// The code found.
    pub code: String,
    /// The codes the vocabulary has, comma separated.
    pub expected: String,
}

impl<T: Vocabulary> Code<T> {
    /// The value of a stored code; an error for a code `T` does not have.
    pub fn read(code: &str) -> Result<T, UnknownCode> {
        T::from_code(code).ok_or_else(|| UnknownCode {
            vocabulary: T::NAME,
            code: code.to_owned(),
            expected: T::all()
                .iter()
                .map(|v| v.code())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// [`Code::read`] as a database error, for rows read by hand.
    pub fn read_db(code: &str) -> Result<T, DbErr> {
        Self::read(code).map_err(|e| DbErr::Type(e.to_string()))
    }
}

impl<T> From<T> for Code<T> {
    fn from(value: T) -> Self {
        Code(value)
    }
}

impl<T: Vocabulary> From<Code<T>> for Value {
    fn from(code: Code<T>) -> Value {
        Value::String(Some(code.0.code().to_owned()))
    }
}

impl<T: Vocabulary> TryGetable for Code<T> {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let text = String::try_get_by(res, index)?;
        Code::<T>::read(&text).map(Code).map_err(|e| {
            TryGetError::DbErr(DbErr::TryIntoErr {
                from: "String",
                into: T::NAME,
                source: Arc::new(e),
            })
        })
    }
}

impl<T: Vocabulary> ValueType for Code<T> {
    fn try_from(value: Value) -> Result<Self, ValueTypeErr> {
        let text = <String as ValueType>::try_from(value)?;
        T::from_code(&text).map(Code).ok_or(ValueTypeErr)
    }

    fn type_name() -> String {
        format!("Code<{}>", T::NAME)
    }

    fn array_type() -> ArrayType {
        ArrayType::String
    }

    fn column_type() -> ColumnType {
        ColumnType::String(StringLen::None)
    }
}

impl<T> Nullable for Code<T> {
    fn null() -> Value {
        Value::String(None)
    }
}

impl<T: Vocabulary> IntoActiveValue<Code<T>> for Code<T> {
    fn into_active_value(self) -> ActiveValue<Code<T>> {
        ActiveValue::Set(self)
    }
}

#[cfg(test)]
mod tests {
    use doorstep_core::{PlanStatus, Presence};

    use super::*;

    #[test]
    fn a_known_code_reads_as_its_value() {
        assert_eq!(
            Code::<PlanStatus>::read("published"),
            Ok(PlanStatus::Published)
        );
        assert_eq!(Code::<Presence>::read("at_sea"), Ok(Presence::AtSea));
    }

    #[test]
    fn an_unknown_code_is_an_error_that_names_the_vocabulary_and_the_codes() {
        let error = Code::<PlanStatus>::read("Published").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown PlanStatus \"Published\" in the database: expected one of draft, published, superseded"
        );
        // A label or an alias is input, not a stored code.
        assert!(Code::<Presence>::read("Đi biển").is_err());
    }

    #[test]
    fn a_code_goes_into_the_database_as_text() {
        assert_eq!(
            Value::from(Code(PlanStatus::Draft)),
            Value::String(Some("draft".to_owned()))
        );
        assert_eq!(
            <Code<PlanStatus> as ValueType>::try_from(Value::String(Some("superseded".into())))
                .ok(),
            Some(Code(PlanStatus::Superseded))
        );
    }
}
