//! Reading an older workflow version for the API.

use std::sync::Arc;

use crate::model::Definition;

use super::{Runtime, RuntimeError};

impl Runtime {
    /// `workflow` at `version`: the loaded one, or an older one from the store.
    pub async fn definition_version(
        &self,
        workflow: &str,
        version: u32,
    ) -> Result<Option<Arc<Definition>>, RuntimeError> {
        if let Some(current) = self
            .catalog()
            .get(workflow)
            .filter(|current| current.version == version)
        {
            return Ok(Some(Arc::clone(current)));
        }
        let Some((hash, source)) = self.store.definition_by_version(workflow, version).await?
        else {
            return Ok(None);
        };
        if let Some(known) = self.definitions.by_hash(&hash) {
            return Ok(Some(known));
        }
        self.definitions.compile(&hash, workflow, &source).map(Some)
    }
}
