//! The forms: a rule (hostname, path, service and every origin-request setting, grouped as the
//! dashboard groups them), the global origin-request settings, and warp-routing. A form edits a
//! copy; only the fields the user touched change, so untouched values (nulls, unknown keys) stay
//! exactly as they were. Applying a form is one undoable edit.

use super::keys::{Command, Context, KeyPress, Keymap};
use super::line_input::LineInput;
use super::overlays::{Action, Component, Cx, Outcome};
use crate::config::duration::Duration;
use crate::config::effective::{Source, effective};
use crate::config::fields::{Field, FieldKind, OriginField, Slot, SlotMut};
use crate::config::model::{
    Access, IngressRule, IpRule, OriginRequest, RuleFields, Setting, TunnelConfig, WarpRouting,
};
use crate::config::validate::{Severity, validate_rule};

/// Which value a form field edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldId {
    /// `hostname`
    Hostname,
    /// `path`
    Path,
    /// `service`
    Service,
    /// An originRequest field.
    Origin(OriginField),
    /// `warp-routing.enabled`
    WarpEnabled,
}

/// The editing state of a field.
#[derive(Debug, Clone)]
pub enum FieldValue {
    /// Free text (also numbers, durations and lists, parsed on apply).
    Text(Box<LineInput>),
    /// Unset, true or false (Space cycles).
    Bool(Option<bool>),
    /// Unset or one of the options (Space cycles).
    Choice(&'static [&'static str], Option<String>),
}

/// What an open form holds that is not applied yet, kept in the draft so a disconnect does not
/// lose half-typed text: which form, and the fields the user changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FormDraft {
    /// `rule`, `new_rule`, `global` or `warp`.
    pub form: String,
    /// The rule's position (rule forms).
    #[serde(default)]
    pub index: usize,
    /// The changed fields: their key (`hostname`, `connectTimeout`) and value as typed (a yes/no
    /// field as `true`/`false`, unset as "").
    pub fields: Vec<(String, String)>,
}

impl FieldId {
    /// The field's name in a [`FormDraft`].
    fn name(self) -> String {
        match self {
            FieldId::Hostname => "hostname".to_owned(),
            FieldId::Path => "path".to_owned(),
            FieldId::Service => "service".to_owned(),
            FieldId::Origin(f) => f.key().to_owned(),
            FieldId::WarpEnabled => "warp-routing.enabled".to_owned(),
        }
    }
}

/// One row of a form.
#[derive(Debug, Clone)]
pub struct FormField {
    /// What it edits.
    pub id: FieldId,
    /// The key name shown.
    pub label: &'static str,
    /// The group heading it starts, if any.
    pub group: Option<&'static str>,
    /// Its value.
    pub value: FieldValue,
    /// Whether the user changed it.
    pub touched: bool,
    /// What applies when unset: "30s from global", "default 30s".
    pub inherited: String,
    /// One line of help.
    pub help: &'static str,
    /// An error to show beside it.
    pub error: Option<String>,
    /// A warning to show beside it.
    pub warning: Option<String>,
}

impl FormField {
    /// The text of a text field, or the value of a choice/bool as text ("" when unset).
    pub fn text(&self) -> String {
        match &self.value {
            FieldValue::Text(t) => t.text(),
            FieldValue::Bool(b) => b.map(|b| b.to_string()).unwrap_or_default(),
            FieldValue::Choice(_, v) => v.clone().unwrap_or_default(),
        }
    }

    /// Whether the field holds no value (inherits).
    pub fn is_unset(&self) -> bool {
        match &self.value {
            FieldValue::Text(t) => t.is_empty(),
            FieldValue::Bool(b) => b.is_none(),
            FieldValue::Choice(_, v) => v.is_none(),
        }
    }
}

/// What a form edits.
#[derive(Debug, Clone, PartialEq)]
pub enum FormTarget {
    /// A rule; `insert` when it is a new rule to insert at `index`.
    Rule {
        /// Position.
        index: usize,
        /// A new rule (Esc adds nothing).
        insert: bool,
        /// The rule as it was (the default rule for a new one).
        original: Box<IngressRule>,
    },
    /// The global originRequest.
    Global {
        /// As it was.
        original: Box<Setting<OriginRequest>>,
    },
    /// warp-routing.
    Warp {
        /// As it was.
        original: Setting<WarpRouting>,
    },
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq)]
pub enum FormOutcome {
    /// Still editing.
    Editing,
    /// Closed without change.
    Cancelled,
    /// Apply: the new value of the target.
    Apply(Applied),
}

/// The result of applying a form.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// The rule's new content.
    Rule(Box<IngressRule>),
    /// The new global originRequest.
    Global(Box<Setting<OriginRequest>>),
    /// The new warp-routing.
    Warp(Setting<WarpRouting>),
}

/// An open form.
#[derive(Debug, Clone)]
pub struct Form {
    /// What it edits.
    pub target: FormTarget,
    /// Title.
    pub title: String,
    /// Rows.
    pub fields: Vec<FormField>,
    /// Focused row.
    pub focus: usize,
    /// Asking "discard your changes?".
    pub confirm_discard: bool,
    /// A message for the whole form (why Enter did not apply).
    pub message: Option<String>,
    /// Durations must be whole seconds (a remote config stores them so): `1.5s` is refused at
    /// its field.
    pub whole_seconds: bool,
}

fn text_area(value: &str) -> LineInput {
    LineInput::new(value)
}

/// The field's value in `o` (the access keys inside `o.access`).
fn slot_of(o: Option<&OriginRequest>, f: OriginField) -> Option<Slot<'_>> {
    let o = o?;
    if f.is_access_leaf() {
        f.access_slot(o.access.get()?)
    } else {
        f.slot(o)
    }
}

/// A field's value as the form's text ("" when unset).
fn origin_text(o: Option<&OriginRequest>, f: OriginField) -> String {
    match slot_of(o, f) {
        Some(Slot::Text(s)) => s.get().cloned().unwrap_or_default(),
        Some(Slot::Duration(s)) => s.get().map(ToString::to_string).unwrap_or_default(),
        Some(Slot::Int(s)) => s.get().map(ToString::to_string).unwrap_or_default(),
        Some(Slot::Uint(s)) => s.get().map(ToString::to_string).unwrap_or_default(),
        Some(Slot::TextList(s)) => s.get().map(|t| t.join(", ")).unwrap_or_default(),
        Some(Slot::IpRules(s)) => s.get().map(|r| format_ip_rules(r)).unwrap_or_default(),
        Some(Slot::Bool(_) | Slot::Access(_)) | None => String::new(),
    }
}

/// A yes/no field's value (`None` when unset).
fn origin_bool(o: Option<&OriginRequest>, f: OriginField) -> Option<bool> {
    match slot_of(o, f) {
        Some(Slot::Bool(s)) => s.get().copied(),
        _ => None,
    }
}

/// `10.0.0.0/8 80,443 allow; 0.0.0.0/0 deny`
pub fn format_ip_rules(rules: &[IpRule]) -> String {
    rules
        .iter()
        .map(|r| {
            let mut s = r.prefix.get().cloned().unwrap_or_default();
            if let Some(p) = r.ports.get().filter(|p| !p.is_empty()) {
                s.push(' ');
                s.push_str(
                    &p.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                );
            }
            s.push_str(if r.allow.is_true() { " allow" } else { " deny" });
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Parses `PREFIX [PORT,PORT] allow|deny; ...`.
pub fn parse_ip_rules(text: &str) -> Result<Vec<IpRule>, String> {
    let mut out = Vec::new();
    for (n, entry) in text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .enumerate()
    {
        let parts: Vec<&str> = entry.split_whitespace().collect();
        let mut rule = IpRule {
            prefix: Setting::Set(parts[0].to_owned()),
            ..IpRule::default()
        };
        for p in &parts[1..] {
            match *p {
                "allow" => rule.allow = Setting::Set(true),
                "deny" => rule.allow = Setting::Set(false),
                ports => {
                    let list: Result<Vec<i64>, _> = ports
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::parse::<i64>)
                        .collect();
                    rule.ports = Setting::Set(list.map_err(|_| {
                        format!(
                            "entry {}: \"{ports}\" is neither a port list (80,443) nor allow/deny",
                            n + 1
                        )
                    })?);
                }
            }
        }
        out.push(rule);
    }
    Ok(out)
}

fn inherited_hint(
    field: OriginField,
    rule_for_hint: Option<&IngressRule>,
    global: Option<&OriginRequest>,
) -> String {
    match rule_for_hint {
        Some(bare) => {
            let eff = effective(bare, global);
            match eff.iter().find(|e| e.field == field) {
                Some(e) if e.source == Source::Global => {
                    format!("inherits {} from global", e.display)
                }
                Some(e) if e.source == Source::Service => {
                    format!("{} (forced by the service)", e.display)
                }
                Some(e) => format!("default {}", e.display),
                None => String::new(),
            }
        }
        None => format!("default {}", field.default_display()),
    }
}

fn origin_fields(
    o: Option<&OriginRequest>,
    rule_for_hint: Option<&IngressRule>,
    global: Option<&OriginRequest>,
) -> Vec<FormField> {
    let mut last_group = None;
    OriginField::FORM_ORDER
        .iter()
        .map(|&f| {
            let group = (last_group != Some(f.group())).then(|| f.group().title());
            last_group = Some(f.group());
            let value = match f.kind() {
                FieldKind::Bool => FieldValue::Bool(origin_bool(o, f)),
                FieldKind::Choice(options) => FieldValue::Choice(
                    options,
                    Some(origin_text(o, f))
                        .filter(|_| matches!(slot_of(o, f), Some(Slot::Text(s)) if s.is_set())),
                ),
                _ => FieldValue::Text(Box::new(text_area(&origin_text(o, f)))),
            };
            FormField {
                id: FieldId::Origin(f),
                label: f.key(),
                group,
                value,
                touched: false,
                inherited: inherited_hint(f, rule_for_hint, global),
                help: f.help(),
                error: None,
                warning: None,
            }
        })
        .collect()
}

fn text_field(
    id: FieldId,
    label: &'static str,
    value: &str,
    help: &'static str,
    group: Option<&'static str>,
) -> FormField {
    FormField {
        id,
        label,
        group,
        value: FieldValue::Text(Box::new(text_area(value))),
        touched: false,
        inherited: String::new(),
        help,
        error: None,
        warning: None,
    }
}

impl Form {
    /// Whether `field`'s problem is shown: a new rule's fields are not judged before they are
    /// typed in (an empty service is "an invalid address" before the user had a chance); saving
    /// still refuses them.
    pub fn shows_problem(&self, field: &FormField) -> bool {
        let new_rule = matches!(self.target, FormTarget::Rule { insert: true, .. });
        (field.error.is_some() || field.warning.is_some())
            && !(new_rule && !field.touched && field.text().is_empty())
    }

    /// A form for rule `index` (or a new rule to insert there).
    pub fn rule(config: &TunnelConfig, index: usize, insert: bool, rule: IngressRule) -> Self {
        let bare = IngressRule::new(RuleFields {
            origin_request: Setting::Absent,
            ..RuleFields::clone(&rule)
        });
        let mut fields = vec![
            text_field(
                FieldId::Hostname,
                "hostname",
                rule.hostname.as_str(),
                "exact host, *.example.com, or empty for any host",
                Some("Rule"),
            ),
            text_field(
                FieldId::Path,
                "path",
                rule.path.as_str(),
                "RE2 regex matched anywhere in the path; start with ^ to anchor",
                None,
            ),
            text_field(
                FieldId::Service,
                "service",
                rule.service.as_str(),
                "http://host:port, https://, ssh://, unix:/path, http_status:404, hello_world",
                None,
            ),
        ];
        fields.extend(origin_fields(
            rule.overrides(),
            Some(&bare),
            config.global(),
        ));
        let title = if insert {
            format!("New rule #{}", index + 1)
        } else {
            format!("Rule #{}", index + 1)
        };
        let mut form = Form {
            target: FormTarget::Rule {
                index,
                insert,
                original: Box::new(rule),
            },
            title,
            fields,
            focus: 0,
            confirm_discard: false,
            message: None,
            whole_seconds: false,
        };
        form.revalidate(config);
        form
    }

    /// The same form with durations limited to whole seconds (for a remote config).
    pub fn with_whole_seconds(mut self, config: &TunnelConfig, on: bool) -> Self {
        self.whole_seconds = on;
        self.revalidate(config);
        self
    }

    /// A form for the global originRequest.
    pub fn global(config: &TunnelConfig) -> Self {
        let mut form = Form {
            target: FormTarget::Global {
                original: Box::new(config.origin_request.clone()),
            },
            title: "Global originRequest (defaults for every rule)".to_owned(),
            fields: origin_fields(config.global(), None, None),
            focus: 0,
            confirm_discard: false,
            message: None,
            whole_seconds: false,
        };
        form.revalidate(config);
        form
    }

    /// A form for warp-routing.
    pub fn warp(config: &TunnelConfig) -> Self {
        let enabled = config
            .warp_routing
            .get()
            .and_then(|w| w.enabled.get().copied());
        Form {
            target: FormTarget::Warp {
                original: config.warp_routing.clone(),
            },
            title: "warp-routing (no effect since cloudflared 2023.10)".to_owned(),
            fields: vec![FormField {
                id: FieldId::WarpEnabled,
                label: "enabled",
                group: Some("warp-routing"),
                value: FieldValue::Bool(enabled),
                touched: false,
                inherited: "default false".to_owned(),
                help: "kept for compatibility; private networks are routed by tunnel routes",
                error: None,
                warning: None,
            }],
            focus: 0,
            confirm_discard: false,
            message: None,
            whole_seconds: false,
        }
    }

    /// What the form holds that is not applied yet, or `None` when nothing was changed.
    pub fn to_draft(&self) -> Option<FormDraft> {
        let fields: Vec<(String, String)> = self
            .fields
            .iter()
            .filter(|f| f.touched)
            .map(|f| (f.id.name(), f.text()))
            .collect();
        if fields.is_empty() {
            return None;
        }
        let (form, index) = match &self.target {
            FormTarget::Rule {
                index,
                insert: true,
                ..
            } => ("new_rule", *index),
            FormTarget::Rule { index, .. } => ("rule", *index),
            FormTarget::Global { .. } => ("global", 0),
            FormTarget::Warp { .. } => ("warp", 0),
        };
        Some(FormDraft {
            form: form.to_owned(),
            index,
            fields,
        })
    }

    /// The form a [`FormDraft`] was taken from, opened again on `config` with the text that was
    /// typed; `None` when it no longer fits (its rule is gone).
    pub fn from_draft(config: &TunnelConfig, d: &FormDraft) -> Option<Form> {
        let mut form = match d.form.as_str() {
            "rule" => Form::rule(config, d.index, false, config.rules().get(d.index)?.clone()),
            "new_rule" if d.index <= config.rules().len() => {
                Form::rule(config, d.index, true, IngressRule::default())
            }
            "global" => Form::global(config),
            "warp" => Form::warp(config),
            _ => return None,
        };
        for (name, text) in &d.fields {
            let Some(field) = form.fields.iter_mut().find(|f| f.id.name() == *name) else {
                continue;
            };
            field.value = match &field.value {
                FieldValue::Text(_) => FieldValue::Text(Box::new(LineInput::new(text))),
                FieldValue::Bool(_) => FieldValue::Bool(text.parse().ok()),
                FieldValue::Choice(options, _) => FieldValue::Choice(
                    options,
                    options
                        .iter()
                        .find(|o| **o == text.as_str())
                        .map(|o| (*o).to_owned()),
                ),
            };
            field.touched = true;
        }
        form.revalidate(config);
        Some(form)
    }

    /// Whether anything was changed.
    pub fn touched(&self) -> bool {
        self.fields.iter().any(|f| f.touched)
    }

    fn field_text(&self, id: FieldId) -> Option<(String, bool)> {
        self.fields
            .iter()
            .find(|f| f.id == id)
            .map(|f| (f.text(), f.touched))
    }

    /// Builds the target's new value. `Err` lists fields whose text cannot be parsed.
    pub fn build(&self) -> Result<Applied, Vec<(FieldId, String)>> {
        let mut errors = Vec::new();
        let applied = match &self.target {
            FormTarget::Rule { original, .. } => {
                let mut rule = (**original).clone();
                let fields: &mut RuleFields = &mut rule;
                for (id, slot) in [
                    (FieldId::Hostname, &mut fields.hostname),
                    (FieldId::Path, &mut fields.path),
                    (FieldId::Service, &mut fields.service),
                ] {
                    if let Some((text, true)) = self.field_text(id) {
                        *slot = if text.is_empty() {
                            Setting::Absent
                        } else {
                            Setting::Set(text)
                        };
                    }
                }
                let origin = self.build_origin(
                    rule.overrides(),
                    &rule.origin_request.map_ref_null(),
                    &mut errors,
                );
                rule.origin_request = origin.map(Box::new);
                Applied::Rule(Box::new(rule))
            }
            FormTarget::Global { original } => {
                let origin =
                    self.build_origin(original.get(), &original.map_ref_null(), &mut errors);
                Applied::Global(Box::new(origin))
            }
            FormTarget::Warp { original } => {
                let mut w = original.get().cloned().unwrap_or_default();
                if let Some(FormField {
                    value: FieldValue::Bool(b),
                    touched: true,
                    ..
                }) = self.fields.first()
                {
                    w.enabled = Setting::from_option(*b);
                }
                let out = if w == WarpRouting::default() && !original.is_set() {
                    original.clone()
                } else {
                    Setting::Set(w)
                };
                Applied::Warp(out)
            }
        };
        if errors.is_empty() {
            Ok(applied)
        } else {
            Err(errors)
        }
    }

    fn build_origin(
        &self,
        original: Option<&OriginRequest>,
        original_setting: &Setting<()>,
        errors: &mut Vec<(FieldId, String)>,
    ) -> Setting<OriginRequest> {
        let mut o = original.cloned().unwrap_or_default();
        let mut access = o.access.get().cloned().unwrap_or_default();
        let mut access_touched = false;
        for field in &self.fields {
            let FieldId::Origin(f) = field.id else {
                continue;
            };
            if !field.touched {
                continue;
            }
            if f.is_access_leaf() {
                access_touched = true;
            }
            if let Err(e) = set_origin_field(&mut o, &mut access, f, field) {
                errors.push((field.id, e));
            } else if self.whole_seconds
                && let Some(crate::config::fields::Slot::Duration(Setting::Set(d))) = f.slot(&o)
                && d.whole_secs().is_none()
            {
                errors.push((
                    field.id,
                    format!(
                        "{}: remote configs store whole seconds: use {}s",
                        f.key(),
                        rounded_secs(*d)
                    ),
                ));
            }
        }
        if access_touched {
            o.access = if access == Access::default() && !o.access.is_set() {
                o.access.clone()
            } else if access == Access::default() {
                Setting::Absent
            } else {
                Setting::Set(access)
            };
        }
        if o.is_empty() {
            match original_setting {
                Setting::Null => Setting::Null,
                _ => Setting::Absent,
            }
        } else {
            Setting::Set(o)
        }
    }

    /// Re-runs validation on the form's current values, marking each field.
    pub fn revalidate(&mut self, config: &TunnelConfig) {
        for f in &mut self.fields {
            f.error = None;
            f.warning = None;
        }
        let built = self.build();
        if let Err(errs) = &built {
            for (id, msg) in errs {
                if let Some(f) = self.fields.iter_mut().find(|f| f.id == *id) {
                    f.error = Some(msg.clone());
                }
            }
        }
        let Ok(applied) = built else { return };
        // Only what the form can affect is checked: the edited rule in its place, or the global
        // settings (never a copy of the whole config, which may hold thousands of rules).
        let diags = match (&self.target, applied) {
            (FormTarget::Rule { index, insert, .. }, Applied::Rule(rule)) => {
                let total = config.rules().len() + usize::from(*insert);
                validate_rule(*index, &rule, total, config.global())
            }
            (FormTarget::Global { .. }, Applied::Global(g)) => {
                let candidate = TunnelConfig {
                    origin_request: *g,
                    ..TunnelConfig::default()
                };
                crate::config::validate::validate(&candidate)
                    .into_iter()
                    .filter(|d| d.rule.is_none() && d.field != Some(Field::Ingress))
                    .collect()
            }
            _ => Vec::new(),
        };
        for d in diags {
            let id = match &d.field {
                Some(Field::Hostname) => FieldId::Hostname,
                Some(Field::Path) => FieldId::Path,
                Some(Field::Service) => FieldId::Service,
                Some(Field::OriginRequest(OriginField::Access)) => {
                    FieldId::Origin(OriginField::AccessRequired)
                }
                Some(Field::OriginRequest(o)) => FieldId::Origin(*o),
                _ => continue,
            };
            if let Some(f) = self.fields.iter_mut().find(|f| f.id == id) {
                let slot = if d.severity == Severity::Error {
                    &mut f.error
                } else {
                    &mut f.warning
                };
                if slot.is_none() {
                    *slot = Some(crate::text::inert(&d.message).into_owned());
                }
            }
        }
    }

    /// The hostname typed in a rule form (`None` for the global and warp forms).
    pub fn hostname(&self) -> Option<String> {
        if !matches!(self.target, FormTarget::Rule { .. }) {
            return None;
        }
        self.fields
            .iter()
            .find(|f| f.id == FieldId::Hostname)
            .map(|f| f.text().trim().to_owned())
    }

    /// Fills the Access group from a chosen application: `audTag` becomes its `aud`, and
    /// `teamName` the organization's team when it is known; focus goes to `audTag`.
    pub fn fill_access(&mut self, aud: &str, team: Option<&str>, config: &TunnelConfig) {
        let mut fill = |id: OriginField, value: &str| {
            if let Some((i, f)) = self
                .fields
                .iter_mut()
                .enumerate()
                .find(|(_, f)| f.id == FieldId::Origin(id))
                && let FieldValue::Text(t) = &mut f.value
            {
                **t = text_area(value);
                f.touched = true;
                return Some(i);
            }
            None
        };
        let at = fill(OriginField::AccessAudTag, aud);
        if let Some(team) = team {
            fill(OriginField::AccessTeamName, team);
        }
        if let Some(i) = at {
            self.focus = i;
        }
        self.message = Some(format!(
            "audTag set from the chosen Access application{}",
            if team.is_some() {
                ", teamName from the organization"
            } else {
                " (teamName unchanged: the organization could not be read)"
            }
        ));
        self.revalidate(config);
    }

    /// Inserts pasted text into the focused text field (validated once). Surrounding
    /// whitespace and line breaks are trimmed: a field is one line, and a pasted trailing
    /// newline would otherwise become an invisible trailing space.
    pub fn paste(&mut self, text: &str, config: &TunnelConfig) {
        if let Some(field) = self.fields.get_mut(self.focus)
            && let FieldValue::Text(t) = &mut field.value
        {
            t.insert(text.trim());
            field.touched = true;
            self.revalidate(config);
        }
    }

    /// Handles a key. `config` is the draft, for validation as you type. In a text field a
    /// key that types a character types it; otherwise the Form table decides.
    pub fn key(&mut self, key: KeyPress, keymap: &Keymap, config: &TunnelConfig) -> FormOutcome {
        if self.confirm_discard {
            return match keymap.command_or_other(Context::Confirm, key) {
                Some(Command::Yes) => FormOutcome::Cancelled,
                _ => {
                    self.confirm_discard = false;
                    FormOutcome::Editing
                }
            };
        }
        self.message = None;
        let n = self.fields.len();
        let in_text = matches!(
            self.fields.get(self.focus).map(|f| &f.value),
            Some(FieldValue::Text(_))
        );
        let command = if in_text && key.typed().is_some() {
            None
        } else {
            keymap.command(Context::Form, key)
        };
        match command {
            Some(Command::Discard) => {
                if self.touched() {
                    self.confirm_discard = true;
                    return FormOutcome::Editing;
                }
                return FormOutcome::Cancelled;
            }
            Some(Command::Apply) => {
                return match self.build() {
                    Ok(applied) => FormOutcome::Apply(applied),
                    Err(errs) => {
                        self.message = Some(format!(
                            "cannot apply: {} (fix it, or clear it with {})",
                            errs.iter()
                                .map(|(_, e)| e.as_str())
                                .collect::<Vec<_>>()
                                .join("; "),
                            keymap.label(Context::Form, Command::Inherit, true)
                        ));
                        if let Some(pos) = self.fields.iter().position(|f| f.id == errs[0].0) {
                            self.focus = pos;
                        }
                        FormOutcome::Editing
                    }
                };
            }
            Some(Command::PrevField) => {
                self.focus = (self.focus + n - 1) % n.max(1);
                return FormOutcome::Editing;
            }
            Some(Command::NextField) => {
                self.focus = (self.focus + 1) % n.max(1);
                return FormOutcome::Editing;
            }
            Some(Command::PageDown) => {
                self.focus = (self.focus + 8).min(n.saturating_sub(1));
                return FormOutcome::Editing;
            }
            Some(Command::PageUp) => {
                self.focus = self.focus.saturating_sub(8);
                return FormOutcome::Editing;
            }
            _ => {}
        }
        let Some(field) = self.fields.get_mut(self.focus) else {
            return FormOutcome::Editing;
        };
        if command == Some(Command::CycleScheme) {
            if field.id == FieldId::Service
                && let FieldValue::Text(t) = &mut field.value
            {
                let next = cycle_scheme(&t.text());
                **t = text_area(&next);
                field.touched = true;
                self.revalidate(config);
            } else {
                self.message = Some(format!(
                    "{} cycles the scheme in the service field only",
                    keymap.label(Context::Form, Command::CycleScheme, true)
                ));
            }
            return FormOutcome::Editing;
        }
        let changed = match (&mut field.value, command) {
            // Inherit always means "inherit": it marks the field even when it already looks
            // empty (a value set to "" becomes absent).
            (FieldValue::Text(t), Some(Command::Inherit)) => {
                t.clear();
                true
            }
            (FieldValue::Bool(b), Some(Command::Inherit)) => {
                *b = None;
                true
            }
            (FieldValue::Choice(_, v), Some(Command::Inherit)) => {
                *v = None;
                true
            }
            (FieldValue::Bool(b), Some(Command::Toggle)) => {
                *b = match b {
                    None => Some(true),
                    Some(true) => Some(false),
                    Some(false) => None,
                };
                true
            }
            (FieldValue::Choice(options, v), Some(Command::Toggle)) => {
                let pos = v
                    .as_ref()
                    .and_then(|cur| options.iter().position(|o| o == cur));
                *v = match pos {
                    None => options.first().map(|s| (*s).to_owned()),
                    Some(i) if i + 1 < options.len() => Some(options[i + 1].to_owned()),
                    Some(_) => None,
                };
                true
            }
            (FieldValue::Text(t), _) => t.key(key),
            // Typing into a yes/no or choice field picks by the first letter.
            (FieldValue::Bool(b), None) if key.typed().is_some() => {
                match key.typed().map(|c| c.to_ascii_lowercase()) {
                    Some('t' | 'y' | '1') => *b = Some(true),
                    Some('f' | 'n' | '0') => *b = Some(false),
                    _ => {
                        self.message = Some(format!(
                            "{}: type t(rue) or f(alse), {} cycles, {} inherits",
                            field.label,
                            keymap.label(Context::Form, Command::Toggle, true),
                            keymap.label(Context::Form, Command::Inherit, true)
                        ));
                        return FormOutcome::Editing;
                    }
                }
                true
            }
            (FieldValue::Choice(options, v), None) if key.typed().is_some() => {
                let c = key.typed().map(|c| c.to_ascii_lowercase());
                match options
                    .iter()
                    .find(|o| o.chars().next().map(|f| f.to_ascii_lowercase()) == c)
                {
                    Some(o) => *v = Some((*o).to_owned()),
                    None => {
                        let named: Vec<String> = options
                            .iter()
                            .map(|o| {
                                if o.is_empty() {
                                    "\"\"".to_owned()
                                } else {
                                    (*o).to_owned()
                                }
                            })
                            .collect();
                        self.message = Some(format!(
                            "{}: one of {}; type its first letter, {} cycles, {} inherits",
                            field.label,
                            named.join(", "),
                            keymap.label(Context::Form, Command::Toggle, true),
                            keymap.label(Context::Form, Command::Inherit, true)
                        ));
                        return FormOutcome::Editing;
                    }
                }
                true
            }
            _ => false,
        };
        if changed {
            field.touched = true;
            self.revalidate(config);
        }
        FormOutcome::Editing
    }
}

impl Component for Form {
    fn context(&self) -> Context {
        if self.confirm_discard {
            Context::Confirm
        } else {
            Context::Form
        }
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        if !self.confirm_discard
            && cx.keymap.command(Context::Form, key) == Some(Command::PickAccess)
        {
            return match self.hostname() {
                Some(host) if !host.is_empty() => Outcome::StayThen(Action::PickAccess(host)),
                Some(_) => {
                    self.message = Some(
                        "type the hostname first: the applications are those covering it"
                            .to_owned(),
                    );
                    Outcome::Stay
                }
                None => {
                    self.message =
                        Some("Access applications are picked in a rule's form".to_owned());
                    Outcome::Stay
                }
            };
        }
        match Form::key(self, key, cx.keymap, cx.draft) {
            FormOutcome::Editing => Outcome::Stay,
            FormOutcome::Cancelled => {
                Outcome::CloseThen(Action::Info("form closed, nothing changed".to_owned()))
            }
            FormOutcome::Apply(applied) => {
                Outcome::CloseThen(Action::ApplyForm(self.target.clone(), applied))
            }
        }
    }

    fn paste(&mut self, text: &str, cx: &Cx<'_>) -> Outcome {
        Form::paste(self, text, cx.draft);
        Outcome::Stay
    }
}

/// The service forms `Ctrl-t` cycles through in the service field.
const SERVICE_SCHEMES: &[&str] = &[
    "http://",
    "https://",
    "ssh://",
    "rdp://",
    "tcp://",
    "smb://",
    "unix:",
    "unix+tls:",
    "http_status:",
    "hello_world",
    "bastion",
    "socks-proxy",
];

/// Replaces the service's scheme by the next one, keeping the rest (`http://x:80` → `https://x:80`).
pub fn cycle_scheme(service: &str) -> String {
    let bare_word = |s: &str| matches!(s, "hello_world" | "bastion" | "socks-proxy");
    let current = SERVICE_SCHEMES
        .iter()
        .enumerate()
        .filter(|(_, s)| service.starts_with(**s))
        .max_by_key(|(_, s)| s.len());
    let (next, rest) = match current {
        Some((i, scheme)) => (
            SERVICE_SCHEMES[(i + 1) % SERVICE_SCHEMES.len()],
            if bare_word(scheme) {
                ""
            } else {
                &service[scheme.len()..]
            },
        ),
        None => (SERVICE_SCHEMES[0], service),
    };
    if bare_word(next) {
        next.to_owned()
    } else if next == "http_status:" && !rest.chars().all(|c| c.is_ascii_digit()) {
        "http_status:404".to_owned()
    } else {
        format!("{next}{rest}")
    }
}

/// The whole seconds nearest `d` (at least 1 for a positive duration), to suggest.
fn rounded_secs(d: Duration) -> i128 {
    let ns = 1_000_000_000;
    let n = d.nanos();
    let r = (n + ns / 2).div_euclid(ns);
    if n > 0 { r.max(1) } else { r }
}

/// Parses a form field's text into its slot (the access keys into `access`).
fn set_origin_field(
    o: &mut OriginRequest,
    access: &mut Access,
    f: OriginField,
    field: &FormField,
) -> Result<(), String> {
    let text = field.text();
    let trimmed = text.trim();
    let slot = if f.is_access_leaf() {
        f.access_slot_mut(access)
    } else {
        f.slot_mut(o)
    };
    let Some(slot) = slot else {
        return Ok(());
    };
    let parsed = |what: &str| format!("{}: \"{text}\" is not {what}", f.key());
    match slot {
        SlotMut::Bool(s) => {
            *s = match &field.value {
                FieldValue::Bool(b) => Setting::from_option(*b),
                _ => Setting::Absent,
            }
        }
        SlotMut::Text(s) => {
            *s = if text.is_empty() {
                Setting::Absent
            } else {
                Setting::Set(text.clone())
            }
        }
        SlotMut::Duration(s) => {
            *s = if trimmed.is_empty() {
                Setting::Absent
            } else {
                Setting::Set(
                    Duration::parse_user(trimmed).map_err(|e| format!("{}: {e}", f.key()))?,
                )
            }
        }
        SlotMut::Int(s) => {
            *s = if trimmed.is_empty() {
                Setting::Absent
            } else {
                Setting::Set(trimmed.parse().map_err(|_| parsed("a whole number"))?)
            }
        }
        SlotMut::Uint(s) => {
            *s = if trimmed.is_empty() {
                Setting::Absent
            } else {
                Setting::Set(trimmed.parse().map_err(|_| parsed("a number from 0 up"))?)
            }
        }
        SlotMut::TextList(s) => {
            let items: Vec<String> = text
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            *s = if items.is_empty() {
                Setting::Absent
            } else {
                Setting::Set(items)
            };
        }
        SlotMut::IpRules(s) => {
            *s = if trimmed.is_empty() {
                Setting::Absent
            } else {
                Setting::Set(parse_ip_rules(&text).map_err(|e| format!("{}: {e}", f.key()))?)
            }
        }
        SlotMut::Access(_) => {}
    }
    Ok(())
}

/// Helper on `Setting` for forms: absent/null/set without the value.
trait NullShape {
    fn map_ref_null(&self) -> Setting<()>;
}

impl<T> NullShape for Setting<T> {
    fn map_ref_null(&self) -> Setting<()> {
        match self {
            Setting::Absent => Setting::Absent,
            Setting::Null => Setting::Null,
            Setting::Set(_) => Setting::Set(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keys::KeyCode;
    use crate::config::files::parse_json_str;

    fn key(c: char) -> KeyPress {
        KeyPress::ch(c)
    }

    fn special(k: KeyCode) -> KeyPress {
        KeyPress::plain(k)
    }

    fn km() -> Keymap {
        Keymap::default()
    }

    fn cfg() -> TunnelConfig {
        parse_json_str(
            r#"{"originRequest":{"connectTimeout":10},"ingress":[{"hostname":"a.example.com","service":"http://a","originRequest":{"httpHostHeader":"","x":1}},{"service":"http_status:404"}]}"#,
        )
        .unwrap_or_default()
    }

    #[test]
    fn untouched_fields_keep_their_exact_values() {
        let c = cfg();
        let form = Form::rule(&c, 0, false, c.rules()[0].clone());
        assert_eq!(
            form.build(),
            Ok(Applied::Rule(Box::new(c.rules()[0].clone())))
        );
    }

    #[test]
    fn typing_validates_and_enter_applies_one_value() {
        let c = cfg();
        let mut form = Form::rule(&c, 0, false, c.rules()[0].clone());
        form.focus = 2; // service
        for _ in 0..20 {
            form.key(special(KeyCode::Backspace), &km(), &c);
        }
        for ch in "localhost:8000".chars() {
            form.key(key(ch), &km(), &c);
        }
        let service = form
            .fields
            .iter()
            .find(|f| f.id == FieldId::Service)
            .and_then(|f| f.error.clone());
        assert_eq!(
            service.as_deref(),
            Some(
                "localhost:8000 is an invalid address, please make sure it has a scheme and a hostname"
            )
        );
        match form.key(special(KeyCode::Enter), &km(), &c) {
            FormOutcome::Apply(Applied::Rule(r)) => {
                assert_eq!(
                    r.service.as_str(),
                    "localhost:8000",
                    "a form with errors can still be applied"
                );
                assert_eq!(
                    r.overrides().map(|o| o.extra.len()),
                    Some(1),
                    "unknown keys kept"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_fractional_duration_is_refused_at_its_field_for_a_remote_config() {
        let c = cfg();
        for (typed, remote, refused) in [
            ("1.5s", true, Some("use 2s")),
            ("1500ms", true, Some("use 2s")),
            ("200ms", true, Some("use 1s")),
            ("2s", true, None),
            ("1.5s", false, None),
        ] {
            let mut form =
                Form::rule(&c, 0, false, c.rules()[0].clone()).with_whole_seconds(&c, remote);
            let ct = form
                .fields
                .iter()
                .position(|f| f.id == FieldId::Origin(OriginField::ConnectTimeout))
                .unwrap_or(0);
            form.focus = ct;
            for ch in typed.chars() {
                form.key(key(ch), &km(), &c);
            }
            form.revalidate(&c);
            let error = form.fields[ct].error.clone();
            match refused {
                Some(hint) => {
                    let e = error.unwrap_or_default();
                    assert!(
                        e.contains("remote configs store whole seconds") && e.contains(hint),
                        "{typed}: {e}"
                    );
                    assert!(form.build().is_err(), "{typed}");
                }
                None => assert_eq!(error, None, "{typed} remote={remote}"),
            }
        }
    }

    #[test]
    fn durations_bools_and_clearing() {
        let c = cfg();
        let mut form = Form::rule(&c, 0, false, c.rules()[0].clone());
        let idx = |id| form.fields.iter().position(|f| f.id == id).unwrap_or(0);
        let ct = idx(FieldId::Origin(OriginField::ConnectTimeout));
        let tls = idx(FieldId::Origin(OriginField::NoTlsVerify));
        let hh = idx(FieldId::Origin(OriginField::HttpHostHeader));
        assert!(
            form.fields[ct].inherited.contains("10s from global"),
            "{}",
            form.fields[ct].inherited
        );
        form.focus = ct;
        for ch in "1m30s".chars() {
            form.key(key(ch), &km(), &c);
        }
        form.focus = tls;
        form.key(key(' '), &km(), &c);
        form.focus = hh;
        form.key(KeyPress::ctrl('x'), &km(), &c);
        let Ok(Applied::Rule(r)) = form.build() else {
            panic!()
        };
        let o = r.overrides().cloned().unwrap_or_default();
        assert_eq!(o.connect_timeout, Setting::Set(Duration::from_secs(90)));
        assert_eq!(o.no_tls_verify, Setting::Set(true));
        assert_eq!(
            o.http_host_header,
            Setting::Absent,
            "cleared back to inherit"
        );
        form.focus = ct;
        form.key(key('x'), &km(), &c);
        assert!(matches!(
            form.key(special(KeyCode::Enter), &km(), &c),
            FormOutcome::Editing
        ));
        assert!(
            form.message
                .as_deref()
                .is_some_and(|m| m.contains("connectTimeout")),
            "{:?}",
            form.message
        );
    }

    #[test]
    fn escape_asks_before_discarding() {
        let c = cfg();
        let mut form = Form::rule(&c, 0, false, c.rules()[0].clone());
        assert_eq!(
            form.key(special(KeyCode::Esc), &km(), &c),
            FormOutcome::Cancelled
        );
        form.key(key('z'), &km(), &c);
        assert_eq!(
            form.key(special(KeyCode::Esc), &km(), &c),
            FormOutcome::Editing
        );
        assert!(form.confirm_discard);
        assert_eq!(form.key(key('n'), &km(), &c), FormOutcome::Editing);
        form.key(special(KeyCode::Esc), &km(), &c);
        assert_eq!(form.key(key('y'), &km(), &c), FormOutcome::Cancelled);
    }

    #[test]
    fn the_service_scheme_cycles() {
        assert_eq!(
            cycle_scheme("http://localhost:8080"),
            "https://localhost:8080"
        );
        assert_eq!(
            cycle_scheme("https://localhost:8080"),
            "ssh://localhost:8080"
        );
        assert_eq!(cycle_scheme("unix+tls:/run/a.sock"), "http_status:404");
        assert_eq!(cycle_scheme("http_status:404"), "hello_world");
        assert_eq!(cycle_scheme("socks-proxy"), "http://");
        assert_eq!(cycle_scheme("localhost:80"), "http://localhost:80");
    }

    #[test]
    fn ip_rules_text() {
        let rules = parse_ip_rules("10.0.0.0/8 80,443 allow; 0.0.0.0/0 deny").unwrap_or_default();
        assert_eq!(rules.len(), 2);
        assert_eq!(
            format_ip_rules(&rules),
            "10.0.0.0/8 80,443 allow; 0.0.0.0/0 deny"
        );
        assert!(parse_ip_rules("10.0.0.0/8 eighty allow").is_err());
    }
}
