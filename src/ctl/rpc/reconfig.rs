//! `reread` and `update` (with `-v` and `--dry-run`) against the Python supervisord, through
//! `reloadConfig`, `addProcessGroup` and `removeProcessGroup`.

use super::*;

impl Session<'_> {
    /// `reloadConfig`: the added, changed and removed group names.
    pub(super) fn reload_config(&mut self, for_update: bool) -> Res<[Vec<String>; 3]> {
        match self.call("supervisor.reloadConfig", vec![])? {
            Ok(v) => {
                let lists = v
                    .as_array()
                    .and_then(|a| a.first())
                    .and_then(Value::as_array)
                    .unwrap_or(&[]);
                Ok([
                    strings(lists.first()),
                    strings(lists.get(1)),
                    strings(lists.get(2)),
                ])
            }
            Err(f) => match Fault::from_code(f.code) {
                Some(Fault::ShutdownState) => {
                    self.result(results::reread_error(Fault::ShutdownState, "", for_update));
                    Err(Abort::Done)
                }
                Some(Fault::CantReread) if !for_update => {
                    self.line(&format!("ERROR: {}", f.string));
                    self.set(Outcome::failed(Fault::CantReread, exit::GENERIC));
                    Err(Abort::Done)
                }
                _ => Err(Abort::Fault(f)),
            },
        }
    }

    /// `reread`; with `-v`, the whole groups `update` would change (this server gives no
    /// more detail).
    pub(super) fn reread(&mut self, verbose: bool) -> Res<()> {
        let [added, changed, removed] = self.reload_config(false)?;
        for l in results::reread_lines(&added, &changed, &removed) {
            self.line(&l);
        }
        if verbose {
            for l in results::group_plan_lines(&added, &changed, &removed, &[]) {
                self.line(&l);
            }
        }
        Ok(())
    }

    /// `update`, as the reference does it from the client: `reloadConfig`, then stop,
    /// remove and add groups with one call each.
    pub(super) fn update(&mut self, names: &[String], dry_run: bool) -> Res<()> {
        let [added, changed, removed] = self.reload_config(true)?;
        if dry_run {
            for l in results::group_plan_lines(&added, &changed, &removed, names) {
                self.line(&l);
            }
            return Ok(());
        }
        let named = !names.is_empty() && !names.iter().any(|n| n == "all");
        let mut active = Vec::new();
        if named {
            for i in self.all_process_info()? {
                let g = field_str(&i, "group");
                if !active.contains(&g) {
                    active.push(g);
                }
            }
        }
        let plan = results::update_plan(&added, &changed, &removed, &active, names);
        for e in plan.errors {
            self.result(e);
        }
        for step in plan.steps {
            match step {
                UpdateStep::Remove(g) => {
                    let v = self.call_ok("supervisor.stopProcessGroup", vec![s(&g)])?;
                    self.result(results::update_line(&g, "stopped"));
                    let failed = v.as_array().unwrap_or(&[]).iter().any(|r| {
                        Fault::from_code(field_int(r, "status") as i32) == Some(Fault::Failed)
                    });
                    if failed {
                        self.result(results::update_has_problems(&g));
                        continue;
                    }
                    self.call_ok("supervisor.removeProcessGroup", vec![s(&g)])?;
                    self.result(results::update_line(&g, "removed process group"));
                }
                UpdateStep::Replace(g) => {
                    self.call_ok("supervisor.stopProcessGroup", vec![s(&g)])?;
                    self.result(results::update_line(&g, "stopped"));
                    self.call_ok("supervisor.removeProcessGroup", vec![s(&g)])?;
                    self.call_ok("supervisor.addProcessGroup", vec![s(&g)])?;
                    self.result(results::update_line(&g, "updated process group"));
                }
                UpdateStep::Add(g) => {
                    self.call_ok("supervisor.addProcessGroup", vec![s(&g)])?;
                    self.result(results::update_line(&g, "added process group"));
                }
            }
        }
        Ok(())
    }
}
