//! The station catalog: station files by id, secondaries resolved to their
//! reference.

use std::fmt;

use crate::predictor::Predictor;
use crate::station::{HarmonicStation, Problem, Station, StationError, line_of, parse_station};

/// The stations of a catalog, every secondary's reference present.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    stations: Vec<Station>,
}

/// Everything wrong with a catalog, file by file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogError {
    /// One entry per file with problems.
    pub files: Vec<StationError>,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, e) in self.files.iter().enumerate() {
            if k > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl Catalog {
    /// Builds a catalog from (file name, TOML text) pairs.
    ///
    /// # Errors
    /// Every problem of every file: those of [`parse_station`], a duplicate
    /// id, a secondary whose reference is missing or is itself secondary.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Catalog, CatalogError> {
        let mut errors = Vec::new();
        let mut parsed: Vec<(String, Station)> = Vec::new();
        let mut texts: Vec<(String, &str)> = Vec::new();
        for (file, text) in files {
            match parse_station(file, text) {
                Ok(s) => {
                    parsed.push((file.to_owned(), s));
                    texts.push((file.to_owned(), text));
                }
                Err(e) => errors.push(e),
            }
        }
        let line = |file: &str, field: &str| {
            texts
                .iter()
                .find(|(f, _)| f == file)
                .and_then(|(_, t)| line_of(t, field))
        };
        parsed.sort_by(|a, b| a.1.id().cmp(b.1.id()));
        for pair in parsed.windows(2) {
            if pair[0].1.id() == pair[1].1.id() {
                errors.push(StationError {
                    file: pair[1].0.clone(),
                    problems: vec![Problem {
                        field: "id".into(),
                        line: line(&pair[1].0, "id"),
                        message: format!(
                            "\"{}\" is also the id of {}; expected a unique id",
                            pair[1].1.id(),
                            pair[0].0
                        ),
                    }],
                });
            }
        }
        for (file, station) in &parsed {
            if let Station::Secondary(s) = station {
                let problem = match parsed.iter().find(|(_, r)| r.id() == s.reference) {
                    None => Some(format!(
                        "unknown station \"{}\"; expected the id of a harmonic station of the catalog ({})",
                        s.reference,
                        harmonic_ids(&parsed)
                    )),
                    Some((_, Station::Secondary(_))) => Some(format!(
                        "\"{}\" is itself a secondary station; expected a harmonic station ({})",
                        s.reference,
                        harmonic_ids(&parsed)
                    )),
                    Some(_) => None,
                };
                if let Some(message) = problem {
                    errors.push(StationError {
                        file: file.clone(),
                        problems: vec![Problem {
                            field: "secondary.reference".into(),
                            message,
                            line: line(file, "secondary.reference"),
                        }],
                    });
                }
            }
        }
        if !errors.is_empty() {
            return Err(CatalogError { files: errors });
        }
        Ok(Catalog {
            stations: parsed.into_iter().map(|(_, s)| s).collect(),
        })
    }

    /// This catalog with more harmonic stations (a team's own ports), each
    /// in place of a station of the same id; kept in order of id.
    pub fn with_stations(&self, more: impl IntoIterator<Item = HarmonicStation>) -> Catalog {
        let mut stations = self.stations.clone();
        for station in more {
            let station = Station::Harmonic(station);
            match stations.iter_mut().find(|s| s.id() == station.id()) {
                Some(slot) => *slot = station,
                None => stations.push(station),
            }
        }
        stations.sort_by(|a, b| a.id().cmp(b.id()));
        Catalog { stations }
    }

    /// The stations, by id.
    pub fn stations(&self) -> &[Station] {
        &self.stations
    }

    /// The station with this id.
    pub fn get(&self, id: &str) -> Option<&Station> {
        self.stations.iter().find(|s| s.id() == id)
    }

    /// A predictor for the station with this id (a secondary on its reference).
    pub fn predictor(&self, id: &str) -> Option<Predictor> {
        match self.get(id)? {
            Station::Harmonic(h) => Some(Predictor::harmonic(h)),
            Station::Secondary(s) => match self.get(&s.reference)? {
                Station::Harmonic(r) => Some(Predictor::secondary(s, r)),
                Station::Secondary(_) => None,
            },
        }
    }
}

fn harmonic_ids(parsed: &[(String, Station)]) -> String {
    let ids: Vec<&str> = parsed
        .iter()
        .filter(|(_, s)| matches!(s, Station::Harmonic(_)))
        .map(|(_, s)| s.id())
        .collect();
    if ids.is_empty() {
        "there is none".into()
    } else {
        ids.join(", ")
    }
}
