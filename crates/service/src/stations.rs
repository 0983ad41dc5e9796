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

/// The catalog of `dir` when it exists, else the shipped one.
///
/// # Errors
/// A file of `dir` cannot be read or is not a valid station file; the
/// message names the file, line and field.
pub fn load(dir: &Path) -> Result<Catalog, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(built_in());
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        files.push((path.display().to_string(), text));
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
