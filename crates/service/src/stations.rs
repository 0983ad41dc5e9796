//! The tide station catalog: `config/stations/*.toml`, with the shipped
//! stations built into the binary so that doorstep runs from any folder.

use std::path::Path;

use doorstep_tide::Catalog;

/// The shipped station files, as (file name, text).
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "lach-bang.toml",
        include_str!("../../../config/stations/lach-bang.toml"),
    ),
    (
        "lach-hoi.toml",
        include_str!("../../../config/stations/lach-hoi.toml"),
    ),
    (
        "vn_hon_dau.toml",
        include_str!("../../../config/stations/vn_hon_dau.toml"),
    ),
    (
        "vn_qui_nhon.toml",
        include_str!("../../../config/stations/vn_qui_nhon.toml"),
    ),
    (
        "vn_vung_tau.toml",
        include_str!("../../../config/stations/vn_vung_tau.toml"),
    ),
];

/// The shipped catalog.
pub fn built_in() -> Catalog {
    Catalog::from_files(BUILT_IN.iter().copied()).expect("the shipped station files are valid")
}

/// The folder the catalog is read from unless another is given.
pub const DEFAULT_DIR: &str = "config/stations";

/// The catalog of `dir`; when `dir` is the default folder and it does not
/// exist (doorstep run from elsewhere), the shipped catalog.
///
/// # Errors
/// A folder given explicitly does not exist, or a file cannot be read or is
/// not a valid station file; the message names the file, line and field.
pub fn load(dir: &Path) -> Result<Catalog, String> {
    load_with(dir, None)
}

/// Like [`load`], with one more station file (name, text) that replaces the
/// catalog's file of the same stem.
///
/// # Errors
/// As [`load`].
pub fn load_with(dir: &Path, extra: Option<(&str, &str)>) -> Result<Catalog, String> {
    let mut files: Vec<(String, String)> = match std::fs::read_dir(dir) {
        Err(_) if dir == Path::new(DEFAULT_DIR) => BUILT_IN
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect(),
        Err(e) => {
            return Err(format!(
                "cannot read the station catalog {}: {e}; expected a folder of station files (*.toml)",
                dir.display()
            ));
        }
        Ok(entries) => {
            let mut paths: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
                .collect();
            paths.sort();
            let mut files = Vec::with_capacity(paths.len() + 1);
            for path in paths {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
                files.push((path.display().to_string(), text));
            }
            files
        }
    };
    if let Some((name, text)) = extra {
        files.retain(|(n, _)| doorstep_tide::file_stem(n) != doorstep_tide::file_stem(name));
        files.push((name.to_string(), text.to_string()));
    }
    Catalog::from_files(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| e.to_string())
}

/// The ids of a catalog's stations.
pub fn ids(catalog: &Catalog) -> Vec<String> {
    catalog
        .stations()
        .iter()
        .map(|s| s.id().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_holds_the_demo_station() {
        let ids = ids(&built_in());
        assert!(ids.iter().any(|id| id == "lach-bang"), "{ids:?}");
        assert_eq!(ids.len(), BUILT_IN.len());
    }

    #[test]
    fn the_config_folder_matches_what_is_built_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/stations");
        assert_eq!(ids(&load(&dir).unwrap()), ids(&built_in()));
    }
}
