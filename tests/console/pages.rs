//! Every route of the console answers with its page and the spec's
//! markers; without a session it sends the browser to sign in.

use axum::http::StatusCode;

use crate::helpers::{Backend, Options, spawn_with};
use crate::user::{User, anonymous, person, sign_in_form, ticket};

on_both!(
    without_a_session_every_page_redirects_to_sign_in,
    signing_in_sets_a_strict_http_only_cookie_and_failures_show_an_alert,
    every_route_answers_with_lang_title_and_its_markers,
    the_instance_page_marks_the_current_state_forms_and_history,
    admin_pages_refuse_other_roles,
    a_script_in_a_summary_shows_as_text,
    the_language_follows_the_switch_then_the_browser,
);

async fn shipped(backend: &Backend) -> crate::helpers::TestApp {
    spawn_with(
        backend,
        Options {
            shipped_workflows: true,
            ..Options::default()
        },
    )
    .await
}

async fn without_a_session_every_page_redirects_to_sign_in(backend: Backend) {
    let app = shipped(&backend).await;
    let root = anonymous(&app, "/", None).await;
    assert_eq!(root.status, StatusCode::SEE_OTHER);
    assert_eq!(root.location.as_deref(), Some("/ui/"));
    for path in [
        "/ui/",
        "/ui/instances?state=received",
        "/ui/stuck",
        "/ui/assessment",
        "/ui/api",
    ] {
        let page = anonymous(&app, path, None).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(
            page.location,
            Some(format!("/ui/login?next={next}")),
            "{path}"
        );
    }
    let stale = anonymous(&app, "/ui/", Some("flowkeeper_session=not-a-session")).await;
    assert_eq!(stale.status, StatusCode::SEE_OTHER);
    let login = anonymous(&app, "/ui/login", None).await;
    assert_eq!(login.status, StatusCode::OK);
    login.assert_document();
    assert!(login.html.contains(r#"name="name""#) && login.html.contains(r#"name="password""#));
}

async fn signing_in_sets_a_strict_http_only_cookie_and_failures_show_an_alert(backend: Backend) {
    let app = shipped(&backend).await;
    person(&app, "mei", "operator", &["service_desk"]).await;
    let wrong = sign_in_form(&app, "mei", "not-her-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains(r#"role="alert""#), "{}", wrong.html);
    assert!(
        !wrong
            .set_cookies
            .iter()
            .any(|cookie| cookie.starts_with("flowkeeper_session="))
    );

    let signed = sign_in_form(&app, "mei", crate::user::PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        signed.location.as_deref(),
        Some("/ui/stuck"),
        "back to `next`"
    );
    let cookie = signed
        .set_cookies
        .iter()
        .find(|cookie| cookie.starts_with("flowkeeper_session="))
        .expect("the session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // The sign-in form itself is refused without its CSRF cookie.
    let user = User::sign_in(&app, "mei").await;
    let forged = user
        .post(
            "/ui/login",
            &[("name", "mei"), ("password", crate::user::PASSWORD)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Signing out ends the session.
    let overview = user.get("/ui/").await;
    let out = user
        .post("/ui/logout", &[("_csrf", &overview.csrf())])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(user.get("/ui/").await.status, StatusCode::SEE_OTHER);
}

async fn every_route_answers_with_lang_title_and_its_markers(backend: Backend) {
    let app = shipped(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    let id = ticket(&app, "T-1", "打印機卡紙").await;
    let admin = User::sign_in(&app, "ada").await;
    let instance = format!("/ui/instances/{id}");
    let routes = [
        ("/ui/", "service_desk"),
        ("/ui/", "data-stuck="),
        ("/ui/", "data-writes=\"ok\""),
        ("/ui/instances", "data-instance="),
        (
            "/ui/instances?workflow=service_desk&state=submitted&status=active",
            "T-1",
        ),
        ("/ui/instances?stuck=true", "<form"),
        (instance.as_str(), "data-state=\"submitted\""),
        ("/ui/stuck", "<h1>"),
        ("/ui/workflows", "IT 服務檯工單"),
        ("/ui/workflows/service_desk", "data-state=\"closed\""),
        ("/ui/assessment?month=2026-10", "data-chart=\"points\""),
        ("/ui/assessment?year=2026", "data-chart=\"rates\""),
        ("/ui/audit", "account.create"),
        ("/ui/audit?action=account.create", "data-seq="),
        ("/ui/security?week=2026-W40", "data-week=\"2026-W40\""),
        ("/ui/accounts", "data-account=\"ada\""),
    ];
    for (path, marker) in routes {
        let page = admin.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
        page.assert_document();
        assert!(page.html.contains(marker), "{path} lacks `{marker}`");
    }
    // The overview lists the live ticket under its workflow and state.
    assert!(admin.get("/ui/").await.html.contains("提交問題"));
    // Downloads of what the assessment page shows.
    let csv = admin
        .get("/ui/assessment/download?month=2026-10&format=csv")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.html.starts_with("role,") || csv.html.contains(','),
        "{}",
        csv.html
    );
    let json = admin
        .get("/ui/assessment/download?month=2026-10&format=json")
        .await;
    assert!(json.html.contains("\"roles\""), "{}", json.html);
    // A bad period is a message in the page, not a crash.
    let bad = admin.get("/ui/assessment?month=2026-13").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains(r#"role="alert""#));
    // The API reference is Swagger UI from the binary.
    assert_eq!(
        admin.get("/ui/api").await.status,
        StatusCode::PERMANENT_REDIRECT
    );
    let api = admin.get("/ui/api/").await;
    assert_eq!(api.status, StatusCode::OK);
    assert!(api.html.contains("swagger-ui"), "{}", api.html);
    let config = admin.get("/ui/api/swagger-initializer.js").await;
    assert!(config.html.contains("/openapi.json"), "{}", config.html);
    // Unknown things are pages that say so.
    let missing = admin
        .get("/ui/instances/00000000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.html.contains(r#"role="alert""#));
    assert_eq!(
        admin.get("/ui/workflows/nope").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn the_instance_page_marks_the_current_state_forms_and_history(backend: Backend) {
    let app = shipped(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    person(&app, "mei", "operator", &["service_desk"]).await;
    person(&app, "bob", "operator", &["network"]).await;
    let id = ticket(&app, "T-2", "VPN 斷線").await;
    let admin = User::sign_in(&app, "ada").await;
    let page = admin.get(&format!("/ui/instances/{id}")).await;
    assert!(
        page.html
            .contains(r#"<g class="state current" data-state="submitted">"#),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains(r#"<g class="state terminal" data-state="closed">"#)
    );
    assert!(page.html.contains(r#"<form data-event="receive""#));
    assert!(page.html.contains(r#"<form data-event="cancel""#));
    for action in ["cancel", "move", "retry"] {
        assert!(
            page.html
                .contains(&format!(r#"<form data-action="{action}""#)),
            "{action}"
        );
    }
    assert!(page.html.contains(r#"data-seq="1""#));
    assert!(page.html.contains(r#"data-sla="#), "the response SLA clock");
    assert!(page.html.contains(r#"role="progressbar""#));

    // The operator of the responsible team sees the events it may post, no
    // admin actions; an operator of another team sees none.
    let mei = User::sign_in(&app, "mei")
        .await
        .get(&format!("/ui/instances/{id}"))
        .await;
    assert!(mei.html.contains(r#"<form data-event="receive""#));
    assert!(
        !mei.html.contains(r#"<form data-event="complain""#),
        "complain is by admin"
    );
    assert!(!mei.html.contains("data-action="));
    let bob = User::sign_in(&app, "bob")
        .await
        .get(&format!("/ui/instances/{id}"))
        .await;
    assert_eq!(bob.status, StatusCode::OK);
    assert!(!bob.html.contains("<form data-event="));
}

async fn admin_pages_refuse_other_roles(backend: Backend) {
    let app = shipped(&backend).await;
    person(&app, "mei", "operator", &["service_desk"]).await;
    let mei = User::sign_in(&app, "mei").await;
    for path in ["/ui/audit", "/ui/security", "/ui/accounts"] {
        let page = mei.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.html.contains(r#"role="alert""#));
    }
    let overview = mei.get("/ui/").await;
    assert!(
        !overview.html.contains("/ui/accounts"),
        "no admin links for operators"
    );
    let refused = mei
        .post(
            "/ui/accounts",
            &[
                ("_csrf", &overview.csrf()),
                ("name", "eve"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/v1/admin/accounts/eve").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn a_script_in_a_summary_shows_as_text(backend: Backend) {
    let app = shipped(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    let id = ticket(&app, "<b>T-3</b>", "<script>alert(1)</script>").await;
    let admin = User::sign_in(&app, "ada").await;
    for path in [format!("/ui/instances/{id}"), "/ui/instances".to_owned()] {
        let page = admin.get(&path).await;
        assert!(!page.html.contains("<script>alert(1)</script>"), "{path}");
        assert!(!page.html.contains("<b>T-3</b>"), "{path}");
        assert!(page.html.contains("&lt;b&gt;T-3&lt;/b&gt;"), "{path}");
    }
    let page = admin.get(&format!("/ui/instances/{id}")).await;
    assert!(page.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

async fn the_language_follows_the_switch_then_the_browser(backend: Backend) {
    let app = shipped(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    let admin = User::sign_in(&app, "ada").await;
    let chinese = admin.get("/ui/").await;
    assert!(chinese.html.contains(r#"<html lang="zh-Hant">"#));
    assert!(chinese.html.contains("總覽"));
    let english = admin.get("/ui/?lang=en").await;
    assert!(english.html.contains(r#"<html lang="en">"#));
    assert!(english.html.contains("Overview"));
    assert!(
        english
            .set_cookies
            .iter()
            .any(|cookie| cookie.starts_with("flowkeeper_lang=en"))
    );
    // Workflow titles stay as written.
    assert!(
        admin
            .get("/ui/workflows?lang=en")
            .await
            .html
            .contains("IT 服務檯工單")
    );
}
