//! `/ui/accounts` (admin): every account with its role, teams, expiry and
//! approval; forms to create one, change its teams, disable or enable it,
//! issue it an API token (shown once) and revoke its live tokens. The same
//! runtime calls and rules as `/v1/admin/accounts` and `/v1/admin/tokens`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::layout::{self, Nav, badge};
use super::posted::AdminForm;
use super::session::{AdminViewer, CSRF_FIELD, Viewer};
use crate::accounts::{AccountChange, AccountDraft, AccountName, Role};
use crate::api::accounts::{account_name, hashed, instant, lifetime};
use crate::api::problem::Problem;
use crate::api::state::AppState;
use crate::api::wire::AccountView;
use crate::runtime::TokenGrant;
use crate::store::TokenRow;

/// What the last form did, shown on top of the page.
enum Outcome {
    Done(String),
    /// A token's secret: shown this once.
    Token(String, String),
    Refused(Problem),
}

/// `GET /ui/accounts`.
pub async fn page(State(state): State<AppState>, AdminViewer(viewer): AdminViewer) -> Response {
    show(&state, &viewer, None).await
}

/// The page, for an admin (the handlers' extractors checked the role).
async fn show(state: &AppState, viewer: &Viewer, outcome: Option<Outcome>) -> Response {
    let lang = viewer.lang;
    let listed = async {
        let accounts = state.store().accounts().await?;
        let tokens = state.store().list_tokens(None).await?;
        Ok::<_, crate::store::StoreError>((accounts, tokens))
    };
    let (accounts, tokens) = match listed.await {
        Ok(listed) => listed,
        Err(error) => return layout::problem_page(lang, &Problem::from(error)),
    };
    let now = state.runtime().real_now();
    let live: Vec<&TokenRow> = tokens.iter().filter(|token| token.is_live(now)).collect();
    let status = match &outcome {
        Some(Outcome::Refused(problem)) => problem.status(),
        _ => StatusCode::OK,
    };
    let title = lang.t("帳號", "Accounts");
    let body = html! {
        h1 { (title) }
        @match &outcome {
            Some(Outcome::Done(message)) => p.notice role="status" { (message) },
            Some(Outcome::Token(name, secret)) => p.notice role="status" {
                (lang.t("已發給", "Token issued to")) " " strong { (name) } ". "
                (lang.t("此權杖只顯示這一次:", "It is shown this once:")) br;
                code data-token { (secret) }
            },
            Some(Outcome::Refused(problem)) => (layout::alert(lang, problem)),
            None => {},
        }
        table {
            thead { tr {
                th { (lang.t("帳號", "Account")) } th { (lang.t("角色", "Role")) } th { (lang.t("小組", "Teams")) }
                th { (lang.t("到期 / 核准", "Expiry / approval")) } th { (lang.t("最後使用", "Last seen")) } th { (lang.t("操作", "Actions")) }
            } }
            tbody {
                @for account in accounts.iter().map(AccountView::from) {
                    tr data-account=(account.name) {
                        td {
                            strong { (account.name) } br; span.muted { (account.title) }
                            @if account.disabled_at.is_some() { " " (badge("cancelled", lang.t("已停用", "disabled"))) }
                            @if account.emergency { " " (badge("missed", lang.t("緊急", "emergency"))) }
                        }
                        td { (account.role.as_str()) }
                        td { (account.teams.join(", ")) }
                        td {
                            @if let Some(expires) = &account.expires_at { (viewer.times.text(expires)) br; }
                            @if let Some(approval) = &account.approval { span.muted { (approval) } }
                        }
                        td { @if let Some(seen) = &account.last_seen_at { (viewer.times.text(seen)) } }
                        td {
                            div.stack {
                                (row_forms(viewer, &account))
                                (token_list(viewer, &account.name, &live))
                            }
                        }
                    }
                }
            }
        }
        div.card style="margin-top:1rem" {
            h2 { (lang.t("建立帳號", "Create an account")) }
            (create_form(viewer))
        }
    };
    let mut response = layout::page_with(viewer, Nav::Accounts, title, status, body);
    // The page may hold a token's secret: never keep it in a cache.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

fn row_forms(viewer: &Viewer, account: &AccountView) -> Markup {
    let lang = viewer.lang;
    let action = format!("/ui/accounts/{}", account.name);
    let csrf = html! { input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf()); };
    html! {
        form.inline method="post" action=(action) data-action="teams" {
            (csrf)
            input type="text" name="teams" value=(account.teams.join(", ")) size="14" aria-label=(lang.t("小組", "Teams"));
            button.quiet type="submit" { (lang.t("改小組", "Set teams")) }
        }
        form.inline method="post" action=(action) data-action="disable" {
            (csrf)
            @if account.disabled_at.is_some() {
                input type="hidden" name="disabled" value="false";
                button.quiet type="submit" { (lang.t("啟用", "Enable")) }
            } @else {
                input type="hidden" name="disabled" value="true";
                button.danger type="submit" { (lang.t("停用", "Disable")) }
            }
        }
        form.inline method="post" action=(format!("{action}/tokens")) data-action="token" {
            (csrf)
            input type="text" name="name" placeholder=(lang.t("權杖名稱", "token name")) size="10" required;
            input type="text" name="expires_in" placeholder="90d" size="4";
            button.quiet type="submit" { (lang.t("發權杖", "Issue token")) }
        }
    }
}

/// The account's live tokens, each with a form that revokes it.
fn token_list(viewer: &Viewer, account: &str, live: &[&TokenRow]) -> Markup {
    let lang = viewer.lang;
    let mine = live
        .iter()
        .filter(|token| token.account.as_deref() == Some(account));
    html! {
        ul.tokens style="margin:0;padding-left:1rem" {
            @for token in mine {
                li data-token-id=(token.id) {
                    code { (token.name) }
                    @if let Some(expires) = token.expires_at {
                        " " span.muted { (lang.t("到期", "expires")) " " (viewer.times.at(expires)) }
                    }
                    " "
                    form.inline method="post" action=(format!("/ui/accounts/{account}/tokens/{}/revoke", token.id)) data-action="revoke" {
                        input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf());
                        button.quiet type="submit" { (lang.t("撤銷", "Revoke")) }
                    }
                }
            }
        }
    }
}

fn create_form(viewer: &Viewer) -> Markup {
    let lang = viewer.lang;
    html! {
        form method="post" action="/ui/accounts" data-action="create" {
            input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf());
            div.grid {
                div.field { label for="new-name" { (lang.t("帳號名稱", "Name")) " " span.req { "*" } } input id="new-name" type="text" name="name" required; }
                div.field { label for="new-role" { (lang.t("角色", "Role")) }
                    select id="new-role" name="role" { @for role in Role::ALL { option value=(role.as_str()) selected[role == Role::Operator] { (role.as_str()) } } } }
                div.field { label for="new-title" { (lang.t("顯示名稱", "Display name")) } input id="new-title" type="text" name="title"; }
                div.field { label for="new-teams" { (lang.t("小組 (逗號分隔)", "Teams (comma separated)")) } input id="new-teams" type="text" name="teams"; }
                div.field { label for="new-password" { (lang.t("密碼", "Password")) } input id="new-password" type="password" name="password" autocomplete="new-password"; }
                div.field { label for="new-expires" { (lang.t("到期 (RFC 3339,廠商必填)", "Expires (RFC 3339, vendors)")) } input id="new-expires" type="text" name="expires_at" placeholder="2027-01-31T00:00:00Z"; }
                div.field { label for="new-approval" { (lang.t("核准依據 (廠商)", "Approval (vendors)")) } input id="new-approval" type="text" name="approval"; }
                div.field { label { input type="checkbox" name="emergency" value="true"; " " (lang.t("緊急開通", "Emergency")) } }
            }
            button type="submit" { (lang.t("建立", "Create")) }
        }
    }
}

fn teams(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|team| !team.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The page after a form: what the form did, or why it was refused.
async fn after(state: &AppState, viewer: &Viewer, outcome: Result<Outcome, Problem>) -> Response {
    show(
        state,
        viewer,
        Some(outcome.unwrap_or_else(Outcome::Refused)),
    )
    .await
}

/// `POST /ui/accounts`: creates an account.
pub async fn create(State(state): State<AppState>, AdminForm(form): AdminForm) -> Response {
    let outcome = async {
        let name = account_name(form.given("name").unwrap_or(""))?;
        let role = form
            .given("role")
            .map(|text| {
                Role::parse(text)
                    .ok_or_else(|| Problem::bad_request(format!("unknown role `{text}`")))
            })
            .transpose()?
            .unwrap_or(Role::Operator);
        let draft = AccountDraft {
            title: form
                .given("title")
                .map_or_else(|| name.to_string(), str::to_owned),
            name,
            role,
            teams: form.given("teams").map(teams).unwrap_or_default(),
            password: hashed(form.given("password").map(str::to_owned)).await?,
            expires_at: form.given("expires_at").map(instant).transpose()?,
            approval: form.given("approval").map(str::to_owned),
            emergency: form.given("emergency") == Some("true"),
        };
        let account = state
            .runtime()
            .create_account(draft, form.viewer.caller.principal())
            .await?;
        let created = form.viewer.lang.t("已建立帳號", "Created account");
        Ok::<_, Problem>(Outcome::Done(format!("{created} {}", account.name)))
    }
    .await;
    after(&state, &form.viewer, outcome).await
}

/// `POST /ui/accounts/{name}`: `teams=…` and/or `disabled=true|false`.
pub async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    AdminForm(form): AdminForm,
) -> Response {
    let change = AccountChange {
        role: None,
        teams: form.value("teams").map(teams),
        title: None,
        password: None,
        expires_at: None,
        approval: None,
        disabled: form.given("disabled").map(|text| text == "true"),
    };
    let outcome = state
        .runtime()
        .update_account(&name, change, form.viewer.caller.principal())
        .await
        .map(|account| {
            let updated = form.viewer.lang.t("已更新", "Updated");
            Outcome::Done(format!("{updated} {}", account.name))
        })
        .map_err(Problem::from);
    after(&state, &form.viewer, outcome).await
}

/// `POST /ui/accounts/{name}/tokens`: issues an API token, shown once.
pub async fn issue_token(
    State(state): State<AppState>,
    Path(name): Path<String>,
    AdminForm(form): AdminForm,
) -> Response {
    let outcome = async {
        let account = AccountName::parse(&name)
            .map_err(|_| Problem::not_found(format!("no account `{name}`")))?;
        let grant = TokenGrant {
            account,
            name: form.given("name").unwrap_or("").to_owned(),
            role: None,
            expires_in: lifetime(form.given("expires_in"))?,
        };
        let (secret, _) = state
            .runtime()
            .issue_token(grant, form.viewer.caller.principal())
            .await?;
        Ok::<_, Problem>(Outcome::Token(name.clone(), secret.expose().to_owned()))
    }
    .await;
    after(&state, &form.viewer, outcome).await
}

/// `POST /ui/accounts/{name}/tokens/{id}/revoke`: revokes one of the
/// account's live tokens.
pub async fn revoke_token(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    AdminForm(form): AdminForm,
) -> Response {
    let outcome = async {
        let no_token = || Problem::not_found(format!("no live token `{id}` of account `{name}`"));
        let token = uuid::Uuid::try_parse(&id).map_err(|_| no_token())?;
        let owned = state.store().list_tokens(Some(&name)).await?;
        if !owned.iter().any(|row| row.id == token.to_string()) {
            return Err(no_token());
        }
        let row = state
            .runtime()
            .revoke_token(token, form.viewer.caller.principal())
            .await?;
        let revoked = form.viewer.lang.t("已撤銷權杖", "Revoked token");
        Ok::<_, Problem>(Outcome::Done(format!("{revoked} {} ({name})", row.name)))
    }
    .await;
    after(&state, &form.viewer, outcome).await
}
