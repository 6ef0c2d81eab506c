//! Which definition an instance runs: new instances take the current
//! catalog's version of their workflow; existing ones keep the version
//! (content hash) they started with, loaded from the store when the catalog
//! has moved on.
//!
//! Calendars are not part of a version: every version is compiled with the
//! current catalog's `calendars.toml`, so next year's holidays apply to
//! tickets opened this year. When the calendars change, the versions kept
//! from before are compiled again, with the new ones, when next needed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::model::{Catalog, Definition, load_with};

use super::{NotFound, RuntimeError};

/// The current catalog plus every version seen, by hash.
#[derive(Debug, Default)]
pub(crate) struct Definitions {
    catalog: RwLock<Arc<Catalog>>,
    by_hash: Mutex<HashMap<String, Arc<Definition>>>,
}

impl Definitions {
    pub(crate) fn new(catalog: Catalog) -> Self {
        let definitions = Self::default();
        definitions.replace(catalog);
        definitions
    }

    /// Makes `catalog` current; versions already known stay available
    /// (compiled again on demand when the calendars changed).
    pub(crate) fn replace(&self, catalog: Catalog) {
        let mut by_hash = self.by_hash.lock().unwrap_or_else(PoisonError::into_inner);
        if self.catalog().calendars() != catalog.calendars() {
            by_hash.clear();
        }
        for definition in catalog.iter() {
            by_hash.insert(definition.source.hash.clone(), Arc::clone(definition));
        }
        *self.catalog.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(catalog);
    }

    pub(crate) fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.catalog.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The current version of `workflow`.
    pub(crate) fn current(&self, workflow: &str) -> Result<Arc<Definition>, RuntimeError> {
        self.catalog()
            .get(workflow)
            .cloned()
            .ok_or_else(|| RuntimeError::NotFound(NotFound::Workflow(workflow.to_owned())))
    }

    pub(crate) fn by_hash(&self, hash: &str) -> Option<Arc<Definition>> {
        self.by_hash
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(hash)
            .cloned()
    }

    /// Compiles the stored `source` of version `hash`, which must exist.
    pub(crate) fn compile_stored(
        &self,
        hash: &str,
        workflow: &str,
        source: Option<String>,
    ) -> Result<Arc<Definition>, RuntimeError> {
        let source = source.ok_or_else(|| {
            RuntimeError::NotFound(NotFound::Definition {
                hash: hash.to_owned(),
            })
        })?;
        self.compile(hash, workflow, &source)
    }

    /// Compiles a stored version and keeps it.
    pub(crate) fn compile(
        &self,
        hash: &str,
        workflow: &str,
        source: &str,
    ) -> Result<Arc<Definition>, RuntimeError> {
        let name = PathBuf::from(format!("{workflow}@{hash}.toml"));
        let calendars = Arc::clone(self.catalog().calendars());
        let definition = load_with(&name, source, &calendars).map_err(|diagnostics| {
            RuntimeError::Definition {
                hash: hash.to_owned(),
                message: diagnostics.to_string(),
            }
        })?;
        let definition = Arc::new(definition);
        self.by_hash
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(hash.to_owned(), Arc::clone(&definition));
        Ok(definition)
    }
}
