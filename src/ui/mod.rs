//! The yew app (wasm32 only): landing page, loading, overview and the analyses.
//!
//! State lives in one reducer ([`State`], [`Action`]); components get what they need as
//! props and send [`Action`]s or queries back. The data never lives here: the page keeps
//! handles on workers ([`Workers`]) and receives overviews and results as JSON.
//!
//! The analysis tabs come from the engine's registry (`for_each_analysis!`): each analysis
//! has a panel module here with a `Panel` component (its builder and tables) inside the
//! shared [`shell::Shell`]; the [`scope_bar::ScopeBar`] above them edits the one scope
//! (date range, filters, time zone) they all run in.

pub mod board;
pub mod canvas;
pub mod i18n;
pub mod landing;
pub mod mapping;
pub mod overview;
pub mod panel;
pub mod scope_bar;
pub mod shell;
pub mod widgets;

use crate::board::Board;
use crate::engine::analysis::Query;
use crate::engine::spec::Scope;
use crate::protocol::{
    LoadOptions, LoadedReply, Progress, Reply, Request, RunReply, Sniff, UserError,
};
use crate::web::client::WorkerClient;
use i18n::{t, Lang};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use yew::prelude::*;

/// A tab: the overview or an analysis (by its registry name, e.g. `"funnel"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tab {
    /// Dataset overview.
    Overview,
    /// An analysis.
    Analysis(&'static str),
    /// The board: several saved analyses on one page.
    Board,
}

impl Tab {
    /// The tab's translation key and `data-tab` name.
    pub fn key(self) -> &'static str {
        match self {
            Tab::Overview => "overview",
            Tab::Analysis(k) => k,
            Tab::Board => "board",
        }
    }
}

macro_rules! ui_registry {
    ($($variant:ident $module:ident $spec:ident $result:ident $doc:literal),*) => {
        $(#[doc = $doc] pub mod $module;)*

        /// Every analysis tab, in registry order.
        pub const ANALYSES: &[&str] = &[$(stringify!($module)),*];

        /// The panel of analysis `kind`.
        fn analysis_panel(kind: &str, p: shell::PanelProps) -> Html {
            match kind {
                $(stringify!($module) => html! { <$module::Panel ..p /> },)*
                _ => html! {},
            }
        }
    };
}
crate::for_each_analysis!(ui_registry);

/// The tab that shows a query.
pub fn tab_of(q: &Query) -> Tab {
    let kind = q.spec.kind();
    Tab::Analysis(
        ANALYSES
            .iter()
            .copied()
            .find(|k| *k == kind)
            .unwrap_or("funnel"),
    )
}

/// The page a newly loaded file opens on: the AARRR overview when the data has what it
/// needs (a purchase event, an amount and a channel property are suggested), else the
/// overview.
pub fn first_tab(overview: &crate::engine::overview::Overview) -> Tab {
    if crate::engine::analysis::aarrr::suggested(overview).1 {
        Tab::Analysis("aarrr")
    } else {
        Tab::Overview
    }
}

/// Where an analysis stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Sent to the worker.
    Running,
    /// Finished: the request id and the reply.
    Done(u32, Rc<RunReply>),
    /// Failed.
    Failed(UserError),
}

/// A load in progress.
#[derive(Clone, Debug, PartialEq)]
pub struct Loading {
    /// Request id.
    pub id: u32,
    /// File name.
    pub name: String,
    /// Latest progress.
    pub progress: Option<Progress>,
    /// File size in bytes, when known.
    pub size: Option<u64>,
    /// A reload after the engine stopped: the tab, the scope and the analysis on screen
    /// stay as they were.
    pub recovering: bool,
    /// The import options of each file (`None` for the sample).
    pub options: Option<Vec<LoadOptions>>,
    /// The files' names (empty for the sample).
    pub files: Vec<String>,
}

/// The mapping step on screen: the files' import options being edited and what the engine
/// sniffed with the options of the file shown.
#[derive(Clone, Debug, PartialEq)]
pub struct MappingView {
    /// The files' names, in order.
    pub files: Vec<String>,
    /// The file shown (an index into `files`).
    pub file: usize,
    /// Each file's options (the shown file's are sniffed with).
    pub options: Vec<LoadOptions>,
    /// The sniff request sent last (0: none yet).
    pub sniff_id: u32,
    /// The request whose answer `sniff` is (`u32::MAX` after a change of the options).
    pub answered: u32,
    /// The latest answer (kept on screen while the next one is read).
    pub sniff: Option<Result<Rc<Sniff>, UserError>>,
}

impl MappingView {
    /// A step for `files` with their options showing file `file`, nothing sniffed yet.
    pub fn new(files: Vec<String>, options: Vec<LoadOptions>, file: usize) -> Self {
        MappingView {
            files,
            file,
            options,
            sniff_id: 0,
            answered: u32::MAX,
            sniff: None,
        }
    }

    /// The options of the file shown.
    pub fn shown(&self) -> &LoadOptions {
        &self.options[self.file]
    }

    /// True while the options on screen are being sniffed.
    pub fn busy(&self) -> bool {
        self.answered != self.sniff_id
    }
}

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// UI language.
    pub lang: Lang,
    /// Selected tab.
    pub tab: Tab,
    /// The loaded dataset's overview.
    pub dataset: Option<Rc<LoadedReply>>,
    /// Increments on every successful load (panels reset on change).
    pub generation: u32,
    /// A load in progress.
    pub loading: Option<Loading>,
    /// The error banner.
    pub error: Option<UserError>,
    /// The scope every analysis runs in (date range, filters, time zone).
    pub scope: Scope,
    /// Latest outcome per analysis.
    pub outcomes: HashMap<&'static str, (u32, Query, Outcome)>,
    /// A query from the page's URL hash, applied to the next dataset that loads.
    pub linked: Option<Query>,
    /// The board being built (in the browser's storage only when the user saves it).
    pub board: Board,
    /// The board's runs on the current dataset, by query JSON: request id and outcome.
    pub board_runs: HashMap<String, (u32, Outcome)>,
    /// The mapping step, when open.
    pub mapping: Option<MappingView>,
}

/// Everything that changes [`State`].
pub enum Action {
    /// Switch language.
    ToggleLang,
    /// Select a tab.
    Tab(Tab),
    /// A load was sent.
    LoadStarted(Loading),
    /// A reply from a worker to request `id` (0: to none).
    Reply(u32, Reply),
    /// The user cancelled the load.
    CancelLoad,
    /// A query was sent for an analysis.
    RunStarted(&'static str, u32, Query),
    /// The shared scope changed.
    SetScope(Scope),
    /// Stop waiting for the running analysis `kind` (its reply is ignored).
    CancelRun(&'static str),
    /// Close the error banner.
    DismissError,
    /// The engine stopped while holding the dataset; `again` when the same file stopped
    /// it before. `size` is the file's size when known.
    EngineStopped {
        /// The same file already stopped an engine once.
        again: bool,
        /// File name.
        name: String,
        /// File size in bytes, when known.
        size: Option<u64>,
    },
    /// Change the board (add, remove, move, rename or replace its analyses).
    Board(Board),
    /// Add an analysis to the board (ignored when it is full: the button says so).
    BoardAdd(crate::board::BoardItem),
    /// A board analysis (its query JSON) was sent as request `id`.
    BoardRunStarted(String, u32),
    /// The browser went Back or Forward to the page with this URL hash query (`None`: the
    /// overview).
    Navigate(Option<Query>),
    /// Open the mapping step for the last files, with these options, showing file 0.
    OpenMapping(Vec<String>, Vec<LoadOptions>),
    /// The mapping step's options of the file shown changed.
    MappingOptions(LoadOptions),
    /// The mapping step shows another file (an index).
    MappingFile(usize),
    /// A sniff was sent as request `id`.
    SniffStarted(u32),
    /// Close the mapping step.
    CloseMapping,
}

impl State {
    /// Shows the mapping step for `files` with `options`, showing file `file`; the step on
    /// screen stays as it is when it shows the same (its sniff is not asked again).
    fn open_mapping(&mut self, files: Vec<String>, options: Vec<LoadOptions>, file: usize) {
        let same = self
            .mapping
            .as_ref()
            .is_some_and(|m| m.files == files && m.options == options && m.file == file);
        if !same {
            self.mapping = Some(MappingView::new(files, options, file));
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::ToggleLang => s.lang = s.lang.toggle(),
            Action::Tab(tab) => s.tab = tab,
            Action::LoadStarted(l) => {
                if !l.recovering {
                    s.error = None;
                }
                s.loading = Some(l);
            }
            Action::EngineStopped { again, name, size } => {
                // nothing running will finish
                for (_, _, o) in s.outcomes.values_mut() {
                    if *o == Outcome::Running {
                        *o =
                            Outcome::Failed(UserError::new("engine_stopped", "the engine stopped"));
                    }
                }
                let size = size.map(bytes).unwrap_or_default();
                if again {
                    // no engine holds the file: back to the first page, ready for another
                    s.loading = None;
                    s.dataset = None;
                    s.outcomes.clear();
                    s.linked = None;
                }
                s.error = Some(if again {
                    UserError::new("engine_stopped_twice", format!("{name} {size}"))
                } else {
                    // the analysis on screen comes back once the file is loaded again
                    if let Tab::Analysis(kind) = s.tab {
                        s.linked = s.outcomes.get(kind).map(|(_, q, _)| q.clone());
                    }
                    UserError::new("engine_restarted", name)
                });
            }
            Action::CancelLoad => s.loading = None,
            Action::DismissError => s.error = None,
            Action::Board(b) => s.board = b,
            Action::BoardAdd(item) if s.board.items.len() < crate::board::MAX_ITEMS => {
                s.board.items.push(item);
            }
            Action::BoardAdd(_) => return self,
            Action::BoardRunStarted(key, id) => {
                s.board_runs.insert(key, (id, Outcome::Running));
            }
            Action::Navigate(q) => match q {
                None if s.dataset.is_some() => s.tab = Tab::Overview,
                None => return self,
                Some(q) if s.dataset.is_none() => s.linked = Some(q),
                Some(q) => {
                    let tab = tab_of(&q);
                    let Tab::Analysis(kind) = tab else {
                        return self;
                    };
                    // the panel starts again from the page's query unless it shows it already
                    if s.outcomes.get(kind).is_some_and(|(_, last, _)| *last != q) {
                        s.outcomes.remove(kind);
                    }
                    s.tab = tab;
                    s.scope = q.scope.clone();
                    s.linked = Some(q);
                }
            },
            Action::OpenMapping(files, options) => s.open_mapping(files, options, 0),
            Action::MappingOptions(options) => match &mut s.mapping {
                Some(m) if *m.shown() != options => {
                    m.options[m.file] = options;
                    m.answered = u32::MAX;
                }
                _ => return self,
            },
            Action::MappingFile(file) => match &mut s.mapping {
                Some(m) if m.file != file && file < m.files.len() => {
                    m.file = file;
                    m.sniff = None;
                    m.answered = u32::MAX;
                }
                _ => return self,
            },
            Action::SniffStarted(id) => match &mut s.mapping {
                Some(m) => m.sniff_id = id,
                None => return self,
            },
            Action::CloseMapping => s.mapping = None,
            Action::RunStarted(kind, id, q) => {
                s.outcomes.insert(kind, (id, q, Outcome::Running));
            }
            Action::SetScope(scope) => s.scope = scope,
            Action::CancelRun(kind) => match s.outcomes.get_mut(kind) {
                Some((_, _, o)) if *o == Outcome::Running => {
                    *o = Outcome::Failed(UserError::new("cancelled", "the analysis was cancelled"));
                }
                _ => return self,
            },
            Action::Reply(id, reply) => match reply {
                Reply::Ready | Reply::Sql { .. } => return self,
                Reply::Sniffed(sniff) => match &mut s.mapping {
                    Some(m) if m.sniff_id == id => {
                        m.sniff = Some(Ok(Rc::new(*sniff)));
                        m.answered = id;
                    }
                    _ => return self,
                },
                Reply::Progress(p) => match &mut s.loading {
                    Some(l) if l.id == id => l.progress = Some(p),
                    _ => return self,
                },
                Reply::Loaded(r) => {
                    if let Some(l) = s.loading.take_if(|l| l.id == id) {
                        s.mapping = None;
                        let first = first_tab(&r.overview);
                        s.dataset = Some(Rc::new(*r));
                        s.generation += 1;
                        s.outcomes.clear();
                        s.board_runs.clear();
                        if l.recovering {
                            // the same file again: the same tab, scope and analysis
                            if s.error
                                .as_ref()
                                .is_some_and(|e| e.code == "engine_restarted")
                            {
                                s.error = None;
                            }
                            return Rc::new(s);
                        }
                        s.tab = s.linked.as_ref().map_or(first, tab_of);
                        // filters and dates name another file's properties and days: a new
                        // file starts from all of its data (a link brings its own scope)
                        s.scope = match &s.linked {
                            Some(q) => q.scope.clone(),
                            None => Scope {
                                timezone: s.scope.timezone.clone(),
                                week_start: s.scope.week_start,
                                ..Scope::default()
                            },
                        };
                    }
                }
                Reply::Result(r) => {
                    let runs = s.outcomes.values_mut().map(|(rid, _, o)| (rid, o));
                    for (rid, o) in runs.chain(s.board_runs.values_mut().map(|(r, o)| (r, o))) {
                        // a cancelled run's late answer is not shown
                        if *rid == id && *o == Outcome::Running {
                            *o = Outcome::Done(id, Rc::new(*r.clone()));
                        }
                    }
                }
                Reply::Error(msg) => {
                    if let Some(l) = s.loading.take_if(|l| l.id == id) {
                        // a file that loads only with roles named goes to the mapping step,
                        // showing that file
                        if let (Some(options), "mapping") = (l.options, msg.code.as_str()) {
                            let files = l.files;
                            let file = msg.params.get("file");
                            let file = files.iter().position(|f| Some(f) == file).unwrap_or(0);
                            s.open_mapping(files, options, file);
                        }
                        s.error = Some(msg);
                    } else if s.mapping.as_ref().is_some_and(|m| m.sniff_id == id) {
                        if let Some(m) = &mut s.mapping {
                            m.sniff = Some(Err(msg));
                            m.answered = id;
                        }
                    } else if let Some((_, _, o)) =
                        s.outcomes.values_mut().find(|(rid, _, _)| *rid == id)
                    {
                        *o = Outcome::Failed(msg);
                    } else if let Some((_, o)) =
                        s.board_runs.values_mut().find(|(rid, _)| *rid == id)
                    {
                        *o = Outcome::Failed(msg);
                    } else {
                        // not tied to a request (the worker itself failed): nothing running
                        // will finish, so say so everywhere
                        for (_, _, o) in s.outcomes.values_mut() {
                            if *o == Outcome::Running {
                                *o = Outcome::Failed(msg.clone());
                            }
                        }
                        s.error = Some(msg);
                    }
                }
            },
        }
        Rc::new(s)
    }
}

/// Where a dataset comes from: what a new worker reads when the old one stopped.
#[derive(Clone)]
enum Source {
    /// The files the user chose, one dataset (the page keeps the handles, never the
    /// bytes; never empty), with the import options of each.
    File(Vec<web_sys::File>, Vec<LoadOptions>),
    /// The built-in sample.
    Sample,
}

/// The workers the page holds: the one with the current dataset, and one loading a new
/// file (swapped in on success, terminated on cancel or failure).
#[derive(Default)]
pub struct Workers {
    active: Option<WorkerClient>,
    /// The load id of the active worker, and where its dataset came from.
    active_source: Option<(u32, Source)>,
    /// How many engines the active dataset's source stopped in a row.
    stops: u32,
    /// A load in progress: its id, worker, source, and whether it reloads after a stop.
    loading: Option<(u32, WorkerClient, Source, bool)>,
    next_id: u32,
    /// The last query sent per analysis, with the dataset generation it ran on.
    sent: Vec<(&'static str, u32, Query)>,
    /// The files loaded or tried last, with their options (what the mapping step reloads).
    last_file: Option<(Vec<web_sys::File>, Vec<LoadOptions>)>,
    /// The worker that sniffs files for the mapping step (started on first use).
    sniffer: Option<WorkerClient>,
    /// SQL renderings asked of the worker: request id and who gets the text.
    sql: Vec<(u32, SqlDone)>,
}

/// Who gets a spec rendered as SQL (or why it has no SQL).
pub type SqlDone = Callback<Result<String, UserError>>;

/// What panels call to talk to the engine.
#[derive(Clone)]
pub struct Engine {
    workers: Rc<RefCell<Workers>>,
    dispatch: UseReducerDispatcher<State>,
}

impl PartialEq for Engine {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.workers, &other.workers)
    }
}

/// The name of files loaded together (`a.csv + b.csv`) and their total size.
fn files_name_size(files: &[web_sys::File]) -> (String, Option<u64>) {
    let names: Vec<String> = files.iter().map(|f| f.name()).collect();
    (
        names.join(" + "),
        Some(files.iter().map(|f| f.size() as u64).sum()),
    )
}

impl Engine {
    fn next_id(&self) -> u32 {
        let mut w = self.workers.borrow_mut();
        w.next_id += 1;
        w.next_id
    }

    fn start_load(&self, source: Source, recovering: bool) {
        let options = match &source {
            Source::File(f, o) => {
                self.workers.borrow_mut().last_file = Some((f.clone(), o.clone()));
                Some(o.clone())
            }
            Source::Sample => None,
        };
        let (name, size) = match &source {
            Source::File(f, _) => files_name_size(f),
            Source::Sample => ("sample".to_string(), None),
        };
        let files = match &source {
            Source::File(f, _) => f.iter().map(|f| f.name()).collect(),
            Source::Sample => Vec::new(),
        };
        let id = self.next_id();
        let engine = self.clone();
        let client = WorkerClient::spawn(move |rid, reply| {
            // a SQL rendering goes to whoever asked, not to the page's state
            let asked = {
                let mut w = engine.workers.borrow_mut();
                let k = w.sql.iter().position(|(i, _)| *i == rid && rid != 0);
                k.map(|k| w.sql.remove(k).1)
            };
            if let Some(done) = asked {
                match reply {
                    Reply::Sql { text } => done.emit(Ok(text)),
                    Reply::Error(e) => done.emit(Err(e)),
                    _ => {}
                }
                return;
            }
            let mut stopped = None;
            {
                let mut w = engine.workers.borrow_mut();
                let mine = w.loading.as_ref().is_some_and(|(lid, ..)| *lid == id);
                let active = w.active_source.as_ref().is_some_and(|(aid, _)| *aid == id);
                match &reply {
                    Reply::Loaded(_) if mine && rid == id => {
                        let (_, c, source, _) = w.loading.take().expect("checked above");
                        w.active = Some(c); // drops (terminates) the previous worker
                        w.active_source = Some((id, source));
                    }
                    // the reload after a stop stopped too: the file is the cause
                    Reply::Error(_) if mine && rid == 0 && recovering => {
                        stopped = w.loading.take().map(|(_, _, s, _)| (s, 2));
                    }
                    Reply::Error(_) if mine && (rid == id || rid == 0) => {
                        w.loading = None;
                    }
                    // the worker holding the dataset stopped (out of memory, a bug)
                    Reply::Error(_) if active && rid == 0 => {
                        w.stops += 1;
                        w.active = None;
                        stopped = w.active_source.take().map(|(_, s)| (s, w.stops));
                    }
                    _ => {}
                }
            }
            if let Some((source, stops)) = stopped {
                let (name, size) = match &source {
                    Source::File(f, _) => files_name_size(f),
                    Source::Sample => ("sample".to_string(), None),
                };
                let again = stops > 1;
                engine
                    .dispatch
                    .dispatch(Action::EngineStopped { again, name, size });
                if !again {
                    engine.start_load(source, true);
                }
                return;
            }
            // a failure of the worker itself belongs to the load that started it
            let rid = if rid == 0 && matches!(reply, Reply::Error(_)) {
                id
            } else {
                rid
            };
            engine.dispatch.dispatch(Action::Reply(rid, reply));
        });
        match client {
            Ok(c) => {
                match &source {
                    Source::File(f, o) => c.load_files(
                        id,
                        f,
                        &serde_json::to_string(o).unwrap_or_default(),
                        &mapping::all_remembered(),
                    ),
                    Source::Sample => c.request(id, &Request::LoadSample),
                }
                if !recovering {
                    self.workers.borrow_mut().stops = 0;
                }
                self.workers.borrow_mut().loading = Some((id, c, source, recovering));
                self.dispatch.dispatch(Action::LoadStarted(Loading {
                    id,
                    name,
                    progress: None,
                    size,
                    recovering,
                    options,
                    files,
                }));
            }
            Err(e) => self.dispatch.dispatch(Action::Reply(
                0,
                Reply::Error(UserError::new("engine_stopped", e)),
            )),
        }
    }

    /// Loads files (several are one dataset) in a fresh worker; nothing when there is none.
    pub fn load_files(&self, files: Vec<web_sys::File>) {
        if !files.is_empty() {
            let options = vec![LoadOptions::default(); files.len()];
            self.start_load(Source::File(files, options), false);
        }
    }

    /// Loads the last files again with `options` (one per file) in a fresh worker (the
    /// dataset on screen stays until the new one is loaded).
    pub fn reload(&self, options: Vec<LoadOptions>) {
        let file = self.workers.borrow().last_file.clone();
        if let Some((f, _)) = file {
            self.start_load(Source::File(f, options), false);
        }
    }

    /// The files of the dataset on screen, with the options they were loaded with.
    fn active_file(&self) -> Option<(Vec<web_sys::File>, Vec<LoadOptions>)> {
        match &self.workers.borrow().active_source {
            Some((_, Source::File(f, o))) => Some((f.clone(), o.clone())),
            _ => None,
        }
    }

    /// Opens the mapping step for the file on screen (nothing for the sample).
    pub fn open_mapping(&self) {
        if let Some((f, o)) = self.active_file() {
            self.workers.borrow_mut().last_file = Some((f.clone(), o.clone()));
            let names = f.iter().map(|f| f.name()).collect();
            self.dispatch.dispatch(Action::OpenMapping(names, o));
        }
    }

    /// Shows file `file` (an index) in the mapping step.
    pub fn set_mapping_file(&self, file: usize) {
        self.dispatch.dispatch(Action::MappingFile(file));
    }

    /// Changes the mapping step's options (the panel sniffs again).
    pub fn set_mapping_options(&self, o: LoadOptions) {
        self.dispatch.dispatch(Action::MappingOptions(o));
    }

    /// Closes the mapping step.
    pub fn close_mapping(&self) {
        self.dispatch.dispatch(Action::CloseMapping);
    }

    /// True when the dataset on screen was read from a file (it has import settings).
    pub fn has_file(&self) -> bool {
        self.active_file().is_some()
    }

    /// Sniffs file `file` (an index) of the last files with `options` (a `sniffed` reply
    /// for the mapping step).
    pub fn sniff(&self, file: usize, options: &LoadOptions) {
        let last = self.workers.borrow().last_file.clone();
        let Some(file) = last.and_then(|(f, _)| f.get(file).cloned()) else {
            return;
        };
        let id = self.next_id();
        let mut w = self.workers.borrow_mut();
        if w.sniffer.is_none() {
            let d = self.dispatch.clone();
            match WorkerClient::spawn(move |rid, reply| d.dispatch(Action::Reply(rid, reply))) {
                Ok(c) => w.sniffer = Some(c),
                Err(e) => {
                    let err = Reply::Error(UserError::new("engine_stopped", e));
                    return self.dispatch.dispatch(Action::Reply(id, err));
                }
            }
        }
        if let Some(c) = &w.sniffer {
            c.sniff_file(
                id,
                &file,
                &serde_json::to_string(options).unwrap_or_default(),
            );
        }
        self.dispatch.dispatch(Action::SniffStarted(id));
    }

    /// Loads the built-in sample in a fresh worker.
    pub fn load_sample(&self) {
        self.start_load(Source::Sample, false);
    }

    /// Stops the running load; the previous dataset stays.
    pub fn cancel_load(&self) {
        self.workers.borrow_mut().loading = None;
        self.dispatch.dispatch(Action::CancelLoad);
    }

    /// Stops waiting for the running analysis `kind`.
    pub fn cancel_run(&self, kind: &'static str) {
        self.dispatch.dispatch(Action::CancelRun(kind));
    }

    /// Sends a query for analysis `kind` to the worker holding the dataset.
    /// Runs `q` unless it is what this analysis last ran on dataset `generation` (the
    /// builder re-runs itself on every change; a query already answered or running is
    /// not sent again).
    pub fn run_if_new(&self, kind: &'static str, generation: u32, q: Query) {
        let same = self
            .workers
            .borrow()
            .sent
            .iter()
            .any(|(k, g, s)| *k == kind && *g == generation && *s == q);
        if !same {
            self.run(kind, generation, q);
        }
    }

    /// Runs a board's analysis `q` (its results are kept apart from the tabs').
    pub fn run_board(&self, q: &Query) {
        let id = self.next_id();
        if let Some(c) = &self.workers.borrow().active {
            c.request(
                id,
                &Request::Run {
                    query: Box::new(q.clone()),
                },
            );
        }
        self.dispatch
            .dispatch(Action::BoardRunStarted(q.to_json(), id));
    }

    /// Renders `q` as one SQL query in `dialect` (`duckdb`, `clickhouse`) in the worker
    /// (the SQL renderer is not part of the page's code) and hands the text to `done`.
    pub fn sql(&self, q: &Query, dialect: &str, done: SqlDone) {
        let id = self.next_id();
        let mut w = self.workers.borrow_mut();
        let Some(c) = &w.active else {
            done.emit(Err(UserError::new("no_data", "no data loaded yet")));
            return;
        };
        c.request(
            id,
            &Request::Sql {
                query: Box::new(q.clone()),
                dialect: dialect.to_string(),
                from: None,
                order: None,
            },
        );
        w.sql.push((id, done));
    }

    /// Adds an analysis to the board.
    pub fn add_to_board(&self, item: crate::board::BoardItem) {
        self.dispatch.dispatch(Action::BoardAdd(item));
    }

    /// Replaces the board.
    pub fn set_board(&self, b: Board) {
        self.dispatch.dispatch(Action::Board(b));
    }

    /// Shows analysis `q` in its tab (as a link would) and puts it in the page's URL.
    pub fn open(&self, q: &Query) {
        hash::write(q);
        self.dispatch.dispatch(Action::Navigate(Some(q.clone())));
    }

    /// Runs `q` on the dataset of `generation`.
    pub fn run(&self, kind: &'static str, generation: u32, q: Query) {
        {
            let mut w = self.workers.borrow_mut();
            w.sent.retain(|(k, _, _)| *k != kind);
            w.sent.push((kind, generation, q.clone()));
        }
        let id = self.next_id();
        if let Some(c) = &self.workers.borrow().active {
            c.request(
                id,
                &Request::Run {
                    query: Box::new(q.clone()),
                },
            );
        }
        hash::write(&q);
        self.dispatch.dispatch(Action::RunStarted(kind, id, q));
    }
}

/// The spec in the URL hash (`#spec=<JSON>`): a link reproduces an analysis on the same
/// file. Only the spec is ever written there, never data.
pub mod hash {
    use crate::engine::analysis::Query;

    /// The query in the current URL hash, if any and valid.
    pub fn read() -> Option<Query> {
        let h = web_sys::window()?.location().hash().ok()?;
        let enc = h.strip_prefix("#spec=")?;
        let json = js_sys::decode_uri_component(enc).ok()?.as_string()?;
        Query::from_json(&json).ok()
    }

    /// Puts `q` in the URL hash (no request): a new history entry when the page showed
    /// another analysis (so Back returns to it), else in place of the current one (the
    /// builder's changes do not fill the history).
    pub fn write(q: &Query) {
        let json = q.to_json();
        let url = format!(
            "#spec={}",
            String::from(js_sys::encode_uri_component(&json))
        );
        let push = read().is_none_or(|now| now.spec.kind() != q.spec.kind());
        set(&url, push);
    }

    /// Marks the overview in the URL (a new history entry when an analysis was shown).
    pub fn write_overview() {
        if read().is_some() {
            set("#overview", true);
        }
    }

    fn set(url: &str, push: bool) {
        let null = wasm_bindgen::JsValue::NULL;
        if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = if push {
                h.push_state_with_url(&null, "", Some(url))
            } else {
                h.replace_state_with_url(&null, "", Some(url))
            };
        }
    }
}

/// The root component.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| {
        let linked = hash::read();
        State {
            lang: Lang::load(),
            tab: Tab::Overview,
            dataset: None,
            generation: 0,
            loading: None,
            error: None,
            // a link brings its scope; otherwise calendars follow the browser's zone
            scope: linked.as_ref().map_or_else(
                || Scope {
                    timezone: widgets::browser_zone(),
                    ..Scope::default()
                },
                |q| q.scope.clone(),
            ),
            outcomes: HashMap::new(),
            linked,
            board: board::saved().unwrap_or_default(),
            board_runs: HashMap::new(),
            mapping: None,
        }
    });
    let workers = use_mut_ref(Workers::default);
    let engine = Engine {
        workers,
        dispatch: state.dispatcher(),
    };
    let lang = state.lang;
    use_effect_with(lang, |l| l.apply());
    {
        // after a load, focus goes to the loaded dataset's name (a screen reader says what
        // is open; Tab continues into its tabs)
        use_effect_with(state.generation, |g| {
            if *g > 0 {
                if let Some(el) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("dataset-name"))
                    .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok())
                {
                    let _ = el.focus();
                }
            }
        });
    }
    {
        // Back and Forward move between analyses inside the page; the dataset stays
        let d = state.dispatcher();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                gloo::events::EventListener::new(&w, "popstate", move |_| {
                    d.dispatch(Action::Navigate(hash::read()))
                })
            });
            move || drop(listener)
        });
    }
    let toggle = {
        let d = state.dispatcher();
        Callback::from(move |_| {
            lang.toggle().save();
            d.dispatch(Action::ToggleLang)
        })
    };
    let dismiss = {
        let d = state.dispatcher();
        Callback::from(move |_| d.dispatch(Action::DismissError))
    };
    let mapping_step = match &state.mapping {
        Some(view) => {
            html! { <mapping::MappingPanel lang={lang} engine={engine.clone()} view={view.clone()} /> }
        }
        None => html! {},
    };
    let body = match &state.dataset {
        None => {
            html! {
                <>
                    <landing::Landing lang={lang} engine={engine.clone()} loading={state.loading.clone()} />
                    { mapping_step.clone() }
                </>
            }
        }
        Some(ds) => {
            let all = std::iter::once(Tab::Overview)
                .chain(ANALYSES.iter().map(|&k| Tab::Analysis(k)))
                .chain(std::iter::once(Tab::Board));
            let tabs = all.map(|tab| {
                let d = state.dispatcher();
                let selected = state.tab == tab;
                let class = if selected { "tab active" } else { "tab" };
                // the URL follows the tab (its last query; a new one is written when it runs)
                let shown = match tab {
                    Tab::Analysis(k) => state.outcomes.get(k).map(|(_, q, _)| q.clone()),
                    Tab::Overview | Tab::Board => None,
                };
                let onclick = Callback::from(move |_| {
                    match (&shown, tab) {
                        (Some(q), _) => hash::write(q),
                        (None, Tab::Overview) => hash::write_overview(),
                        (None, _) => {}
                    }
                    d.dispatch(Action::Tab(tab))
                });
                html! {
                    <button class={class} role="tab" aria-selected={selected.to_string()} data-tab={tab.key()} {onclick}>
                        { t(lang, tab.key()) }
                        if tab == Tab::Board && !state.board.items.is_empty() {
                            { format!(" ({})", state.board.items.len()) }
                        }
                    </button>
                }
            });
            let panel = match state.tab {
                Tab::Overview => {
                    html! { <overview::OverviewPanel lang={lang} data={ds.clone()} engine={engine.clone()} /> }
                }
                Tab::Board => html! {
                    <board::BoardPanel lang={lang} engine={engine.clone()} board={state.board.clone()} runs={state.board_runs.clone()} />
                },
                Tab::Analysis(kind) => {
                    let on_scope = {
                        let d = state.dispatcher();
                        Callback::from(move |s: Scope| d.dispatch(Action::SetScope(s)))
                    };
                    let props = shell::PanelProps {
                        lang,
                        data: ds.clone(),
                        generation: state.generation,
                        engine: engine.clone(),
                        scope: state.scope.clone(),
                        last: state
                            .outcomes
                            .get(kind)
                            .map(|(_, q, o)| (q.clone(), o.clone())),
                        linked: state.linked.clone().filter(|q| q.spec.kind() == kind),
                        board_full: state.board.items.len() >= crate::board::MAX_ITEMS,
                    };
                    html! {
                        <>
                            <scope_bar::ScopeBar lang={lang} props={ds.overview.properties.clone()} scope={state.scope.clone()} on_change={on_scope} />
                            <div key={format!("{kind}-{}", state.generation)}>{ analysis_panel(kind, props) }</div>
                        </>
                    }
                }
            };
            html! {
                <>
                    <landing::DatasetBar lang={lang} engine={engine.clone()} data={ds.clone()} loading={state.loading.clone()} />
                    { mapping_step.clone() }
                    <nav class="tabs" role="tablist">{ for tabs }</nav>
                    <section class="panel">{ panel }</section>
                </>
            }
        }
    };
    html! {
        <div class="app">
            <header class="top">
                <div class="brand"><span class="logo">{"◎"}</span><b>{"Loupe"}</b><span class="tagline">{ t(lang, "tagline") }</span></div>
                <div class="top-right">
                    <span class="privacy">{ t(lang, "privacy") }</span>
                    <button class="lang" onclick={toggle} data-testid="lang">{ if lang == Lang::En { "中文" } else { "English" } }</button>
                </div>
            </header>
            if let Some(e) = &state.error {
                <div class="error" role="alert" data-testid="error">
                    <b>{ t(lang, "error") }{": "}</b>{ error_text(lang, e) }
                    <button onclick={dismiss}>{ t(lang, "dismiss") }</button>
                </div>
            }
            <main>{ body }</main>
        </div>
    }
}

/// Mounts the app on the page's body.
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// Saves `data` as a file named `name` through the browser's download (a local blob URL:
/// nothing is sent anywhere).
pub fn download(name: &str, mime: &str, data: &[u8]) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(data));
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &bag)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url)
}

/// Copies the page's address (the analysis's spec is in its hash, never data) to the
/// clipboard.
pub fn copy_link() -> Result<(), wasm_bindgen::JsValue> {
    let href = web_sys::window().ok_or("no window")?.location().href()?;
    copy_text(&href)
}

/// Puts `text` on the clipboard.
pub fn copy_text(text: &str) -> Result<(), wasm_bindgen::JsValue> {
    let w = web_sys::window().ok_or("no window")?;
    let _ = w.navigator().clipboard().write_text(text);
    Ok(())
}

/// Saves the chart currently on the page as a PNG.
pub fn download_chart_png(name: &str) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let canvas: web_sys::HtmlCanvasElement = doc
        .query_selector("canvas.chart")?
        .ok_or("no chart")?
        .dyn_into()?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
    a.set_href(&canvas.to_data_url()?);
    a.set_download(name);
    a.click();
    Ok(())
}

/// An engine error in the user's language: a translated sentence for its code, the spec
/// field, then the engine's own detail (names, lines and values, in English).
pub fn error_text(lang: Lang, e: &UserError) -> String {
    let head = match e.code.as_str() {
        "io" => t(lang, "err_io"),
        "format" => t(lang, "err_format"),
        "mapping" => t(lang, "err_mapping"),
        "spec" => t(lang, "err_spec"),
        "spec_json" => t(lang, "err_spec_json"),
        "no_events" => t(lang, "err_no_events"),
        "cancelled" => t(lang, "err_cancelled"),
        "no_data" => t(lang, "err_no_data"),
        "engine_stopped" => t(lang, "err_engine_stopped"),
        "engine_restarted" => t(lang, "err_engine_restarted"),
        "engine_stopped_twice" => t(lang, "err_engine_stopped_twice"),
        "too_large" => t(lang, "err_too_large"),
        _ => t(lang, "err_bad_request"),
    };
    let detail = i18n::spec_message(lang, e.key.as_deref(), &e.params, &e.message);
    match &e.field {
        Some(f) => format!("{head} ({f}): {detail}"),
        None => format!("{head}: {detail}"),
    }
}

/// Formats a count with thousands separators.
pub fn count(v: u64) -> String {
    crate::chart::group_digits(v)
}

/// Formats a ratio as a percentage with one decimal.
pub fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// Formats seconds as a short duration in `lang`: `45 s`, `3.2 min`, `5.1 h`, `2.3 d`
/// (`45 秒`, `3.2 分钟`, ...).
pub fn duration(lang: Lang, secs: f64) -> String {
    let (v, unit) = if secs < 60.0 {
        (format!("{secs:.0}"), "unit_s")
    } else if secs < 3600.0 {
        (format!("{:.1}", secs / 60.0), "unit_min")
    } else if secs < 86_400.0 {
        (format!("{:.1}", secs / 3600.0), "unit_h")
    } else {
        (format!("{:.1}", secs / 86_400.0), "unit_d")
    };
    format!("{v} {}", t(lang, unit))
}

/// Formats bytes as MB / kB.
pub fn bytes(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MB", b as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.0} kB", b as f64 / 1024.0)
    }
}
