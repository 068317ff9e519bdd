//! `agents.csv` (`goodhart run --agents WEEKS`): every employee after the
//! chosen weeks of every run, streamed.
//!
//! An [`AgentCsv`] watches one run as an observer: after each chosen week
//! it turns the week's agents ([`crate::model::Simulation::for_each_agent`])
//! into CSV rows, on the thread that runs the simulation, and the batch
//! runner hands the text to an [`AgentFile`] in (arm, replicate) order, a
//! chunk of runs at a time. So formatting runs in parallel, the file's
//! bytes do not depend on the thread count, and memory holds at most a
//! chunk's rows ([`crate::resources::RECORD_BUDGET`]), never the file.

use super::{AtomicFile, OutputError, io_error};
use crate::batch::Record;
use crate::model::metrics::WeekMetrics;
use crate::model::{Observer, Simulation};
use crate::params::ModelParams;
use crate::resources::{FileEstimate, RecordSize};
use crate::results::AgentRow;
use std::io::Write;
use std::path::Path;

/// The file's name in a result directory.
pub const AGENTS: &str = "agents.csv";

/// Bytes of an agents.csv row besides its scenario and variant names:
/// about 360 as measured (amazon-2026, every week), 20 numbers in
/// shortest round-trip form, most of them 17 or 18 characters; with a
/// margin, since an estimate of disk space should not fall short.
pub const AGENT_ROW_BYTES: u64 = 400;

/// Bytes of one row in memory while its chunk waits to be written: the
/// text of the row.
fn row_bytes(scenario: &str, variant: &str) -> u64 {
    AGENT_ROW_BYTES + (scenario.len() + variant.len()) as u64
}

/// How big agents.csv of `runs` runs of `employees` employees recording
/// `weeks` weeks will be, with the longest labels of `scenario` and
/// `variants`.
pub fn estimate(
    scenario: &str,
    variants: &[&str],
    runs: usize,
    employees: usize,
    weeks: usize,
) -> FileEstimate {
    let longest = variants.iter().map(|v| v.len()).max().unwrap_or(4);
    FileEstimate {
        file: AGENTS,
        rows: runs as u64 * employees as u64 * weeks as u64,
        row_bytes: AGENT_ROW_BYTES + (scenario.len() + longest) as u64,
    }
}

/// Records the agents of one run after the chosen weeks as CSV text (no
/// header), labelled with the run.
pub struct AgentCsv {
    /// Weeks after which to record, in any order.
    weeks: Vec<usize>,
    row: AgentRow,
    text: Vec<u8>,
    /// The first error encoding a row (the observer cannot return one).
    error: Option<String>,
}

impl AgentCsv {
    pub fn new(
        scenario: &str,
        variant: &str,
        replicate: usize,
        seed: u64,
        weeks: &[usize],
    ) -> Self {
        AgentCsv {
            weeks: weeks.to_vec(),
            row: AgentRow {
                scenario: scenario.to_string(),
                variant: variant.to_string(),
                replicate,
                seed,
                ..AgentRow::default()
            },
            text: Vec::new(),
            error: None,
        }
    }
}

impl Observer for AgentCsv {
    fn observe(&mut self, sim: &Simulation, week: usize, _: &WeekMetrics) {
        if !self.weeks.contains(&week) || self.error.is_some() {
            return;
        }
        let rows = sim.params().employees;
        self.text
            .reserve(rows * row_bytes(&self.row.scenario, &self.row.variant) as usize);
        self.row.week = week;
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(std::mem::take(&mut self.text));
        let mut error = None;
        sim.for_each_agent(|a| {
            if error.is_none() {
                self.row.set_agent(&a);
                error = w.serialize(&self.row).err();
            }
        });
        match w.into_inner() {
            Ok(text) => self.text = text,
            Err(e) => error = Some(csv::Error::from(e.into_error())),
        }
        self.error = error.map(|e| e.to_string());
    }
}

/// A part of agents.csv: rows of one or more weeks of one run, or the
/// error that stopped them.
pub type AgentText = Result<Vec<u8>, String>;

impl Record for AgentCsv {
    type Part = AgentText;

    fn take_part(&mut self) -> Option<AgentText> {
        if let Some(e) = self.error.take() {
            return Some(Err(e));
        }
        (!self.text.is_empty()).then(|| Ok(std::mem::take(&mut self.text)))
    }

    fn size(&self, p: &ModelParams) -> RecordSize {
        let part = p.employees as u64 * row_bytes(&self.row.scenario, &self.row.variant);
        RecordSize {
            run: part.saturating_mul(self.weeks.len() as u64),
            part,
        }
    }
}

/// agents.csv being written: the header line, then each part as it comes;
/// [`AgentFile::commit`] puts it in place.
pub struct AgentFile {
    file: AtomicFile,
    path: std::path::PathBuf,
    rows: u64,
}

impl AgentFile {
    /// Starts `dir/agents.csv` with its header line.
    pub fn create(dir: &Path) -> Result<AgentFile, OutputError> {
        let path = dir.join(AGENTS);
        let mut file = AtomicFile::create(&path)?;
        let header = crate::results::csv_text([AgentRow::default()], true)
            .map_err(|e| encode(&path, e.to_string()))?;
        let end = header.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
        file.write_all(&header[..end])
            .map_err(|e| io_error(&path, e))?;
        Ok(AgentFile {
            file,
            path,
            rows: 0,
        })
    }

    /// Appends a part recorded by an [`AgentCsv`].
    pub fn append(&mut self, part: AgentText) -> Result<(), OutputError> {
        let text = part.map_err(|message| encode(&self.path, message))?;
        self.rows += text.iter().filter(|&&b| b == b'\n').count() as u64;
        self.file
            .write_all(&text)
            .map_err(|e| io_error(&self.path, e))
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn commit(self) -> Result<(), OutputError> {
        self.file.commit()
    }
}

fn encode(path: &Path, message: String) -> OutputError {
    OutputError::Encode {
        path: path.display().to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{self, Job, Sink};
    use crate::params::timeline::Timeline;

    struct ToFile(AgentFile);

    impl Sink<AgentText> for ToFile {
        type Error = anyhow::Error;
        fn record(&mut self, _: usize, part: AgentText) -> anyhow::Result<()> {
            Ok(self.0.append(part)?)
        }
        fn take(&mut self, _: usize, _: Vec<WeekMetrics>) -> anyhow::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn rows_are_the_engines_agents_in_order_and_sum_to_its_metrics() {
        let dir = tempfile::tempdir().unwrap();
        let p = ModelParams {
            employees: 70,
            weeks: 5,
            ..ModelParams::default()
        };
        let timeline = Timeline::default();
        let mut sink = ToFile(AgentFile::create(dir.path()).unwrap());
        let job = |r: usize| Job {
            params: p.clone(),
            timeline: &timeline,
            seed: r as u64,
        };
        let record = |r: usize| AgentCsv::new("s", "base", r, r as u64, &[4, 1]);
        batch::run_recorded(0..2, job, record, &mut sink).unwrap();
        assert_eq!(sink.0.rows(), 2 * 2 * 70);
        sink.0.commit().unwrap();
        let rows: Vec<AgentRow> = crate::results::read_rows(&dir.path().join(AGENTS)).unwrap();
        assert_eq!(rows.len(), 280);
        // Run order, then week order, then employee order.
        let keys: Vec<(usize, usize, usize)> = rows
            .iter()
            .map(|r| (r.replicate, r.week, r.employee))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted);
        // The rows of week 4 of replicate 1 are the engine's agents.
        let mut sim = Simulation::new(&p, &timeline, 1).unwrap();
        let mut metrics = Vec::new();
        sim.run_observed(&mut |_: &Simulation, _: usize, m: &WeekMetrics| metrics.push(*m));
        let agents = sim.agents();
        let last: Vec<&AgentRow> = rows
            .iter()
            .filter(|r| r.replicate == 1 && r.week == 4)
            .collect();
        for (r, a) in last.iter().zip(&agents) {
            assert_eq!(**r, AgentRow::new("s", "base", 1, 1, 4, a));
            assert_eq!(f64::from(r.ability), a.ability);
            assert!((r.manual + r.productive + r.performative - 1.0).abs() < 1e-15);
        }
        let m = metrics[4];
        let sum = |f: fn(&AgentRow) -> f64| last.iter().map(|r| f(r)).sum::<f64>();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(close(sum(|r| r.output), m.output));
        assert!(close(sum(|r| r.tokens), m.tokens_mtok));
        assert!(close(
            sum(|r| r.perceived_surveillance) / 70.0,
            m.mean_perceived_surveillance
        ));
        assert!(close(sum(|r| r.stress) / 70.0, m.mean_stress));
    }
}
