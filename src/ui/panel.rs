//! What every analysis panel is given and keeps: its props ([`PanelProps`]: the dataset,
//! the shared scope, the last run) and its builder's spec as state ([`SpecState`],
//! [`use_spec`]). The shell and the widgets both read these; neither defines them, so the
//! two do not import each other.

use super::i18n::Lang;
use super::{Engine, Outcome};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec, Query};
use crate::engine::spec::Scope;
use crate::protocol::LoadedReply;
use std::rc::Rc;
use yew::prelude::*;

/// Props every analysis panel receives.
#[derive(Properties, PartialEq, Clone)]
pub struct PanelProps {
    /// UI language.
    pub lang: Lang,
    /// The loaded dataset.
    pub data: Rc<LoadedReply>,
    /// Changes when a new dataset loads.
    pub generation: u32,
    /// Engine handle.
    pub engine: Engine,
    /// The shared scope (date range, filters, time zone).
    pub scope: Scope,
    /// The last query run in this tab and its outcome.
    pub last: Option<(Query, Outcome)>,
    /// A query from the URL hash, used when nothing ran yet.
    pub linked: Option<Query>,
    /// The board cannot take another analysis.
    pub board_full: bool,
}

impl PanelProps {
    /// The spec to start the builder with: the last one run here, else the linked one,
    /// else `default`.
    pub fn initial<T: AnalysisSpec>(&self, default: impl FnOnce() -> T) -> T {
        self.last
            .as_ref()
            .map(|(q, _)| &q.spec)
            .or(self.linked.as_ref().map(|q| &q.spec))
            .and_then(T::pick)
            .cloned()
            .unwrap_or_else(default)
    }

    /// The dataset's event names, most frequent first.
    pub fn event_names(&self) -> Vec<String> {
        self.data
            .overview
            .event_names
            .iter()
            .map(|e| e.name.clone())
            .collect()
    }

    /// The finished result, if any.
    pub fn result(&self) -> Option<Rc<AnalysisResult>> {
        match &self.last {
            Some((_, Outcome::Done(_, r))) => Some(Rc::new(r.output.result.clone())),
            _ => None,
        }
    }
}

/// The builder's spec as component state: the value of the last render (`*spec`, what the
/// page shows) and the latest value set (what the next edit starts from). Two edits before
/// the page renders again (a typed value, then at once a select) both count: each starts
/// from the one before, never from the render's copy.
pub struct SpecState<T> {
    state: UseStateHandle<T>,
    latest: Rc<std::cell::RefCell<T>>,
}

impl<T> Clone for SpecState<T> {
    fn clone(&self) -> Self {
        SpecState {
            state: self.state.clone(),
            latest: self.latest.clone(),
        }
    }
}

impl<T> std::ops::Deref for SpecState<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.state
    }
}

impl<T: Clone> SpecState<T> {
    /// Replaces the spec (the page renders it).
    pub fn set(&self, v: T) {
        *self.latest.borrow_mut() = v.clone();
        self.state.set(v);
    }

    /// The latest spec set, even when the page has not rendered it yet.
    pub fn latest(&self) -> T {
        self.latest.borrow().clone()
    }
}

/// The builder's spec as component state, starting from [`PanelProps::initial`].
#[hook]
pub fn use_spec<T, F>(p: &PanelProps, default: F) -> SpecState<T>
where
    T: AnalysisSpec + 'static,
    F: FnOnce() -> T,
{
    let initial = p.initial(default);
    let state = use_state(|| initial);
    let latest = use_mut_ref(|| (*state).clone());
    // a render shows the latest value set: both agree again
    *latest.borrow_mut() = (*state).clone();
    SpecState { state, latest }
}
